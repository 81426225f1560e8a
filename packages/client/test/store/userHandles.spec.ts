// ROBUST-2: the client keeps a user handle only while the app holds it, so asking for many users over
// a long session does not grow its memory without bound. The heap is collected for real (`gc`, exposed
// at run time as in reliability/memoryBound.spec.ts) and the handles are watched with WeakRefs.
import { describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { useFakeSessions } from '../fakeSessions.js';
import { user } from '../fixtures.js';
import type { UserHandle } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { setup } = useFakeSessions();

/** Asks for `count` users and drops their handles; returns WeakRefs to them. */
async function askAndDrop(client: ReturnType<typeof setup>['client'], count: number): Promise<WeakRef<UserHandle>[]> {
  const refs: WeakRef<UserHandle>[] = [];
  for (let i = 0; i < count; i += 1) refs.push(new WeakRef(await client.getUser(`user${i}`)));
  return refs;
}

describe('user handles (ROBUST-2)', () => {
  it('ROBUST-2: handles the app dropped are collected; a held one stays the same object', async () => {
    const { core, client } = setup((op, args) => (op === 'users.get' ? user(args.identity) : null));
    core.welcome();
    const held = await client.getUser('kept');
    const dropped = await askAndDrop(client, 200);
    // WeakRef targets read in this job stay alive until it ends: collect in a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(dropped.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    expect(await client.getUser('kept')).toBe(held);
    expect(core.callsOf('users.get').filter((call) => (call.args as { identity: string }).identity === 'kept')).toHaveLength(1);
  });
});
