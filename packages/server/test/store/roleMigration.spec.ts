// Upgrading an SQLite file written before roles were resources (ADMIN-4): participants stored as
// `admin`/`member` hold the channel admin and channel user roles afterwards, and are checked as such.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import Sqlite from 'better-sqlite3';
import { DEFAULT_ROLE_SIDS } from '@rx-conversations/server-core';
import { MIGRATIONS } from '../../src/internal/migrations.js';
import { useServers } from '../helpers/useServers.js';
import { key } from '../helpers/connectUser.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the roles migration (ADMIN-4)', () => {
  const { start, connect } = useServers();

  it('ADMIN-4: participants stored as admin and member keep what they could do, now as the default roles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxc-roles-'));
    dirs.push(dir);
    const path = join(dir, 'chat.db');
    const old = new Sqlite(path);
    // The schema as it was just before the roles migration.
    const rolesMigration = MIGRATIONS.findIndex((migration) => migration.toString().includes('CREATE TABLE roles'));
    for (let version = 0; version < rolesMigration; version++) MIGRATIONS[version]!(old);
    old.pragma(`user_version = ${rolesMigration}`);
    old.exec(`
      INSERT INTO conversations (sid, unique_name, friendly_name, attributes, created_by, created_at, updated_at, version,
        last_message_index, last_message_at, messages_count, participants_count)
        VALUES ('CHold', NULL, 'Before roles', '{}', 'ada', 1000, 1000, 3, NULL, NULL, 0, 2);
      INSERT INTO participants (sid, conversation_sid, identity, role, attributes, notification_level, last_read_message_index,
        last_read_at, joined_at, updated_at, version)
        VALUES ('MBada', 'CHold', 'ada', 'admin', '{}', 'default', NULL, NULL, 1000, 1000, 1),
               ('MBbob', 'CHold', 'bob', 'member', '{}', 'default', NULL, NULL, 1000, 1000, 1);
      INSERT INTO memberships (identity, conversation_sid, from_seq) VALUES ('ada', 'CHold', 0), ('bob', 'CHold', 0);
      INSERT INTO users (identity, created_at, sid) VALUES ('ada', 1000, 'USada'), ('bob', 1000, 'USbob');
    `);
    old.close();

    const server = await start({ database: path });
    const ada = await connect(server, 'ada');
    const bob = await connect(server, 'bob');
    const roster = await ada.request('participants.list', { sid: 'CHold' });
    expect(roster.items.map((p) => [p.identity, p.role, p.roleSid])).toEqual([
      ['ada', 'admin', DEFAULT_ROLE_SIDS.channelAdmin],
      ['bob', 'member', DEFAULT_ROLE_SIDS.channelUser],
    ]);
    expect((await bob.requestError('conversations.update', { sid: 'CHold', friendlyName: 'mine' })).code).toBe('permission_denied');
    await bob.request('messages.send', { sid: 'CHold', body: 'still here', idempotencyKey: key() });
    expect(await ada.request('conversations.update', { sid: 'CHold', friendlyName: 'After roles' })).toMatchObject({ friendlyName: 'After roles' });
  });
});
