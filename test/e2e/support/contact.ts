import { afterAll, beforeAll } from 'vitest';
import { seatAdmin, type CommandAnswer } from './commands.ts';
import { createHandoverEnv, type Agent, type Customer, type HandoverEnv } from './handover.ts';

/*
 * The scene of the contact-profile tests: Gus writes in by SMS and is handed over to Alice, an agent
 * who is online; Ada is the space's admin, in its control room.
 */

export interface ContactScene {
  h: HandoverEnv;
  ada: Agent;
  alice: Agent;
  gus: Customer;
  /** The conversation room, Alice in it. */
  room: string;
  contactId: string;
  control: string;
  /** A command of Alice's in the conversation room. */
  agent(line: string): Promise<CommandAnswer>;
  /** The room's contact card (its io.livechat.contact state). */
  card(): Promise<Record<string, unknown>>;
}

/**
 * The scene of the enclosing describe block: set before its tests, stopped after them. Read its
 * fields inside the tests.
 */
export function useContactScene(): ContactScene {
  const scene = {} as ContactScene;
  beforeAll(async () => {
    Object.assign(scene, await openContactScene());
  });
  afterAll(async () => {
    await scene.h?.stop();
  });
  return scene;
}

async function openContactScene(): Promise<ContactScene> {
  const h = await createHandoverEnv();
  const control = h.space.matrix.controlRoomId;
  const sender = await h.addSender({ address: '+14155550190', channel: 'sms', mode: 'livechat' });
  const ada = await seatAdmin(h, 'Ada');
  const alice = await h.seat('Alice');
  await alice.online();
  const gus = h.customer(sender, '+14155550410', 'Gus');
  await gus.say('Hi, my order is late');
  await gus.next('Hello! How can we help you today?');
  await gus.next('You are being transferred to an agent. You are number 1 in the queue.');
  const conversation = await gus.conversation();
  const room = conversation.room_id;
  await alice.client.joinRoom(await alice.invited(room));
  await gus.next('You are now chatting with Alice.');
  await h.settle();
  return {
    h,
    ada,
    alice,
    gus,
    room,
    contactId: conversation.contact_id,
    control,
    agent: (line) => alice.command(room, line),
    card: () =>
      h
        .bridge()
        .context.matrix.botIntent.matrixClient.getRoomStateEventContent(room, 'io.livechat.contact', ''),
  };
}

/** Reads until `ok` holds, for state the bridge updates after answering (cards, topics). */
export async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
