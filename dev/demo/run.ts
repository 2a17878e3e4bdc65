import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PhoneMessage } from '../phone/history.ts';
import { freePorts } from '../ports.ts';
import { startDevStack, type DevStack } from '../stack.ts';
import { DemoAgent, type RoomMessage } from './agent.ts';

/*
 * `npm run demo`: the example from the docs, played headless on a fresh dev stack. A customer on
 * WhatsApp writes "Help Package" to the business number 5500112233 of the space "Orders", gets the
 * bot's menu, asks for an agent; Alice (an agent who went online) is offered the conversation,
 * joins, answers; the customer answers back; Alice resolves it. Each step must happen, in order,
 * within its time, or the demo fails (exit 1) naming the step. The transcript is printed as each
 * side saw it.
 */

const CUSTOMER = { from: '+14155550123', profileName: 'Maria' };

function phoneLine(m: PhoneMessage): string {
  const who = m.direction === 'mo' ? 'customer →' : '← business';
  const text =
    m.text ??
    (m.interactive
      ? `${m.interactive.body} [${m.interactive.options.map((o) => o.title).join(' | ')}]`
      : m.reply
        ? `(taps "${m.reply.title}")`
        : m.media
          ? `(${m.media.mimeType})`
          : '');
  return `  ${new Date(m.at).toISOString().slice(11, 19)}  ${who}  ${text}`;
}

function roomLine(m: RoomMessage, names: Map<string, string>): string {
  const who = names.get(m.sender) ?? m.sender;
  const marks = [m.msgtype === 'm.notice' ? 'notice' : '', m.inThread ? 'thread' : '']
    .filter(Boolean)
    .join(', ');
  return `  ${new Date(m.at).toISOString().slice(11, 19)}  ${who}: ${m.body.split('\n')[0]}${marks ? `   (${marks})` : ''}`;
}

export async function runDemo(options: { keep?: boolean } = {}): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'livechat-demo-'));
  // As root, the embedded Postgres runs as its own user, which must be able to enter the directory.
  await chmod(dir, 0o755);
  const [synapse, appservice, publicPort, phonePort, email] = await freePorts(5);
  let stack: DevStack | undefined;
  let agent: DemoAgent | undefined;
  let failed: string | undefined;
  let current = 'starting the dev stack';
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    current = name;
    const started = Date.now();
    const result = await run();
    console.log(`  ✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  };

  try {
    console.log('Starting a fresh dev stack (Synapse, the bridge, the phone simulator)…');
    stack = await startDevStack({
      dir,
      ports: {
        synapse: synapse!,
        appservice: appservice!,
        public: publicPort!,
        phone: phonePort!,
        email: email!,
      },
      logging: { level: 'warn', format: 'pretty' },
    });
    const s = stack;
    const whatsapp = s.seeded.senders.find((x) => x.channel === 'whatsapp');
    const alice = s.credentials.find((c) => c.email.startsWith('alice@'));
    if (!whatsapp || !alice?.password)
      throw new Error('the dev stack did not seed the WhatsApp sender and Alice');
    if (s.seeded.campaign !== 'created')
      throw new Error(`the campaign "Help Package" was not created (${s.seeded.campaign})`);
    console.log(`\nThe example: space "Orders", WhatsApp ${whatsapp.address}, campaign "Help Package".\n`);

    const phone = s.phone;
    const conversation = () =>
      phone.history.list().filter((m) => m.senderId === whatsapp.id && m.customer === CUSTOMER.from);
    const fromBusiness = async (what: string, match: (m: PhoneMessage) => boolean, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = conversation().find((m) => m.direction === 'mt' && match(m));
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`the customer did not receive ${what} within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const customerWrites = (text: string) =>
      phone.customerSends({ senderId: whatsapp.id, ...CUSTOMER, text });

    agent = new DemoAgent(s.urls.homeserver, alice.userId);
    const a = agent;
    await step(`${alice.name} signs in (${alice.userId}) and is online`, () => a.login(alice.password!));

    const menu = await step('the customer writes "Help Package" and gets the menu', async () => {
      await customerWrites('Help Package');
      return fromBusiness('the menu', (m) => m.interactive !== undefined);
    });
    await step('the customer asks for an agent (the handover keyword) and is queued', async () => {
      await customerWrites('agent');
      await fromBusiness(
        'the queued message',
        (m) => m.at >= menu.at && /queue|transferred/i.test(m.text ?? ''),
      );
    });
    const roomId = await step('Alice is offered the conversation and joins it', async () => {
      const invited = await a.until('an invitation to the conversation', () => a.nextInvite());
      await a.join(invited);
      return invited;
    });
    await step('the customer is told an agent took the conversation', () =>
      fromBusiness(
        'the assigned message',
        (m) => /chatting with|agent/i.test(m.text ?? '') && /alice/i.test(m.text ?? ''),
      ),
    );
    await step("Alice answers, and the customer's phone shows it", async () => {
      await a.say(roomId, 'Hi Maria, I am Alice. Let me check your package.');
      await fromBusiness(
        "Alice's answer",
        (m) => m.text === 'Hi Maria, I am Alice. Let me check your package.',
      );
    });
    await step('the customer answers, and Alice sees it in the room', async () => {
      await customerWrites('Thank you! Order 12345.');
      await a.until("the customer's answer", () =>
        a.messages.find((m) => m.roomId === roomId && m.body === 'Thank you! Order 12345.'),
      );
    });
    await step('Alice resolves it with !resolve, and the customer gets the resolved message', async () => {
      await a.say(roomId, '!resolve');
      await fromBusiness('the resolved message', (m) => /resolved/i.test(m.text ?? ''));
      await a.until('the bot confirming the resolve in the command thread', () =>
        a.messages.find((m) => m.roomId === roomId && m.sender === s.bridge.botUserId && m.inThread),
      );
    });

    console.log('\nWhat the customer saw on the phone:');
    for (const m of conversation().sort((x, y) => x.at - y.at)) console.log(phoneLine(m));
    console.log(`\nWhat ${alice.name} saw in the conversation room:`);
    const names = new Map<string, string>([
      [s.bridge.botUserId, 'bot'],
      [alice.userId, alice.name],
    ]);
    for (const m of a.messages.filter((x) => x.roomId === roomId)) {
      if (s.bridge.context.matrix.isGhost(m.sender))
        names.set(m.sender, `${CUSTOMER.profileName} (customer)`);
      console.log(roomLine(m, names));
    }
    console.log('\nThe demo played every step.');
  } catch (err) {
    failed = `${current}: ${err instanceof Error ? err.message : String(err)}`;
    console.error(`\n  ✗ ${failed}`);
  } finally {
    await agent?.logout();
    await stack?.stop();
    if (!options.keep) await rm(dir, { recursive: true, force: true });
    else console.log(`Data kept in ${dir}`);
  }
  return failed ? 1 : 0;
}
