"use strict";
// The real module downloads a native binary at install time. The bridge never enables
// encryption, so every export only needs to exist; using one is a programming error.
const message =
  "End-to-end encryption is not available in matrix-appservice-livechat: " +
  "@matrix-org/matrix-sdk-crypto-nodejs is replaced by a stand-in.";

function unavailable(name) {
  const cls = class {
    constructor() {
      throw new Error(message);
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

for (const name of [
  "Attachment",
  "DeviceId",
  "DeviceLists",
  "EncryptedAttachment",
  "EncryptionSettings",
  "OlmMachine",
  "RoomId",
  "UserId",
]) {
  exports[name] = unavailable(name);
}
exports.StoreType = Object.freeze({ Sled: 0, Sqlite: 1 });
exports.isAvailable = false;
