/*
 * The fake phone network of the pipeline tests is the dev stack's phone simulator without its page
 * (dev/phone/): one implementation of the simulator contract for both. FakePhone.start() listens
 * on a free loopback port and sends statuses only when a test calls sendStatus().
 */
export { PhoneSimulator as FakePhone } from '../../dev/phone/simulator.ts';
export type { Fault, InboundSpec, ReceivedMessage } from '../../dev/phone/carrier.ts';
