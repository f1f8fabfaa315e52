/** State of the live event channel, shown as a banner when it is down. */
export type EventStreamState = 'connecting' | 'open' | 'closed';

export interface EventStreamStatus {
  state: EventStreamState;
  /** epoch ms of the next reconnect attempt while closed, else null */
  retryAt: number | null;
  /** failed connection attempts since the socket was last open */
  failures: number;
}

export interface EventStreamControl {
  /** skip the back-off wait and reconnect now */
  reconnectNow(): void;
}
