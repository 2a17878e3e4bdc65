import { contactDisplayName } from '../../bridge/portal/names.ts';
import type { Contact } from '../../bridge/store/contacts.ts';

/** How commands write times, durations and lists, in one place. */

/** "2026-03-14 09:26 UTC": unambiguous for agents in any time zone. */
export function when(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "45 s", "3 min", "2 h 5 min", "3 d 4 h". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min${s % 60 && minutes < 10 ? ` ${s % 60} s` : ''}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const days = Math.floor(hours / 24);
  return `${days} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

export function customerName(contact: Pick<Contact, 'address' | 'addressKind' | 'profileName'> | undefined) {
  return contact ? contactDisplayName(contact) : 'Customer';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
