/*
 * Seats and invitations as the bot's commands see them. Provisioning owns invitations (rows, the
 * email queue, the acceptance page) and implements this at composition (index.ts), so `invite` in
 * Matrix follows exactly the rules and sends exactly the email of POST /spaces/{id}/invitations,
 * without the bot importing the layer above it.
 */

export interface SeatCount {
  limit: number;
  used: number;
  pending: number;
  available: number;
}

export interface InvitationRequest {
  email: string;
  name: string;
  role: 'agent' | 'admin';
}

export interface CreatedInvitation {
  id: string;
  email: string;
  role: 'agent' | 'admin';
  expiresAt: Date;
}

/** A refusal with the API's errcode (LC_NO_SEATS, LC_ALREADY_INVITED, LC_EMAIL_UNAVAILABLE…). */
export class InvitationRefused extends Error {
  readonly errcode: string;

  constructor(errcode: string, message: string) {
    super(message);
    this.name = 'InvitationRefused';
    this.errcode = errcode;
  }
}

export interface SeatService {
  count(spaceId: string): Promise<SeatCount | undefined>;
  /** All or nothing; throws InvitationRefused. */
  invite(
    spaceId: string,
    invitations: InvitationRequest[],
  ): Promise<{ invitations: CreatedInvitation[]; seats: SeatCount }>;
}
