import type { OpName } from '@rx-conversations/protocol';
import { conversationOps } from './conversationOps.js';
import { messageOps } from './messageOps.js';
import type { OpHandlers } from './OpContext.js';
import { participantOps } from './participantOps.js';
import { userOps } from './userOps.js';

/** The handler of every operation; the type makes a missing one a compile error. */
export const operations: OpHandlers<OpName> = { ...conversationOps, ...participantOps, ...messageOps, ...userOps };
