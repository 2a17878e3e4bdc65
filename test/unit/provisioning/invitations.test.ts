import { describe, expect, it } from 'vitest';
import { composeInvitation } from '../../../provisioning/invitations/email.ts';
import { isMatrixId, localpartCandidates } from '../../../provisioning/invitations/homeserver.ts';
import { deriveKey, hashToken, newToken, seal, unseal } from '../../../provisioning/invitations/tokens.ts';

describe('invitation tokens', () => {
  it('are random, 43 url-safe characters, stored as their SHA-256', () => {
    const a = newToken();
    const b = newToken();
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.hash.equals(hashToken(a.token))).toBe(true);
  });

  it('are sealed for the email queue and cannot be opened with another key or altered', () => {
    const key = deriveKey('the provisioning token', 'invitation-token');
    const sealed = seal('secret-token', key);
    expect(sealed).not.toContain('secret-token');
    expect(unseal(sealed, key)).toBe('secret-token');
    expect(() => unseal(sealed, deriveKey('another token', 'invitation-token'))).toThrow();
    const [iv, tag, data] = sealed.split('.');
    expect(() => unseal([iv, tag, `A${data!.slice(1)}`].join('.'), key)).toThrow();
  });
});

describe('Matrix IDs for invited people', () => {
  const take = (email: string, reserved = (_: string) => false, n = 3) =>
    [...localpartCandidates(email, reserved)].slice(0, n);

  it('derive a valid localpart from the email, then number it', () => {
    expect(take('Alice.Smith@Example.com')).toEqual(['alice.smith', 'alice.smith-2', 'alice.smith-3']);
    expect(take('jörg+sales@example.com', undefined, 1)).toEqual(['j-rg-sales']);
    expect(take('___@example.com', undefined, 1)).toEqual(['agent']);
  });

  it('never offer a reserved localpart (the bot, the ghosts)', () => {
    expect(take('livechat@example.com', (l) => l === 'livechat', 2)).toEqual(['livechat-2', 'livechat-3']);
  });

  it('recognise Matrix IDs', () => {
    expect(isMatrixId('@bob:example.com')).toBe(true);
    expect(isMatrixId('@bob:example.com:8448')).toBe(true);
    expect(isMatrixId('bob@example.com')).toBe(false);
    expect(isMatrixId('@Bob:example.com')).toBe(false);
  });
});

describe('the invitation email', () => {
  it('has text and HTML with the space, the role and the link, and escapes what people typed', () => {
    const mail = composeInvitation({
      to: 'x@example.com',
      name: '<b>Eve</b>',
      spaceName: 'Orders & Returns',
      role: 'admin',
      link: 'https://livechat.example.com/invitations/abc',
      expiresAt: new Date('2030-01-02T03:04:05Z'),
    });
    expect(mail.subject).toBe('You are invited to Orders & Returns (live chat)');
    expect(mail.text).toContain('Hello <b>Eve</b>,');
    expect(mail.text).toContain('https://livechat.example.com/invitations/abc');
    expect(mail.text).toContain('Wed, 02 Jan 2030 03:04:05 GMT');
    expect(mail.html).toContain('Hello &lt;b&gt;Eve&lt;/b&gt;,');
    expect(mail.html).toContain('<strong>Orders &amp; Returns</strong> as an admin');
    expect(mail.html).toContain('href="https://livechat.example.com/invitations/abc"');
  });
});
