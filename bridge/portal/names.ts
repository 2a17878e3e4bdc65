import { formatAddress, type Address, type Channel } from '../addresses.ts';
import type { Contact } from '../store/contacts.ts';
import type { Sender } from '../store/senders.ts';

/** How people and numbers are named in rooms, in one place. */

export const CHANNEL_NAMES: Record<Channel, string> = { sms: 'SMS', whatsapp: 'WhatsApp' };

export function contactAddressLabel(contact: Pick<Contact, 'address' | 'addressKind'>): string {
  if (contact.addressKind === 'wa-user-id') return 'WhatsApp user';
  return formatAddress({ address: contact.address, kind: contact.addressKind } as Address);
}

/** "Profile Name (+1 415 555 0100)", or the number alone when the channel gave no name. */
export function contactDisplayName(
  contact: Pick<Contact, 'address' | 'addressKind' | 'profileName'>,
): string {
  const label = contactAddressLabel(contact);
  const name = contact.profileName?.trim();
  return name ? `${name} (${label})` : label;
}

export function senderLabel(sender: Pick<Sender, 'address' | 'addressKind'>): string {
  return formatAddress({ address: sender.address, kind: sender.addressKind });
}

export function roomLink(roomId: string): string {
  return `https://matrix.to/#/${encodeURIComponent(roomId)}`;
}
