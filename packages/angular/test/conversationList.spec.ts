/**
 * Angular renders into jsdom. Its resolver's default `browser` condition would pick rxjs's esm5 build,
 * which Node cannot load as ESM; the node conditions keep the one rxjs every other project loads.
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 */
import './support/jsdomGlobals.js';
import { chatProviders, initAngularTesting, rendered, textsOf } from './support/angularTesting.js';
import { afterEveryRender, ChangeDetectionStrategy, Component, createEnvironmentInjector, EnvironmentInjector } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FakeServer } from '@rx-conversations/testing';
import { ConversationsService, injectConversation, injectConversations } from '../src/index.js';

@Component({
  selector: 'app-inbox',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <p class="state">{{ chat.connectionState() }} {{ chat.user()?.identity }}</p>
    @for (c of chat.conversations(); track c.sid) {
      <p class="row">{{ c.friendlyName }} ({{ c.membership?.unreadMessagesCount }})</p>
    }
  `,
})
class InboxComponent {
  protected readonly chat = injectConversations();
}

/** The inbox beside a view of one fixed conversation, as a chat page has them. */
@Component({
  selector: 'app-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [InboxComponent],
  template: `
    <app-inbox />
    <p class="title">{{ secret.state()?.friendlyName ?? 'no conversation' }}</p>
    @for (m of secret.messages(); track m.key) {
      <p class="message">{{ m.author }}: {{ m.body }}</p>
    }
  `,
})
class PageComponent {
  static secretSid = '';
  readonly secret = injectConversation(PageComponent.secretSid);
}

describe('NG-1: the client-owning service, rendered by TestBed (zoneless, OnPush)', () => {
  let fake: FakeServer;
  let signedIn: string;
  let generalSid: string;

  beforeEach(() => {
    initAngularTesting();
    fake = new FakeServer();
    const [general, secret] = fake.seed({
      conversations: [
        { friendlyName: 'General', participants: ['alice', 'bob', 'carol'], messages: [{ author: 'bob', body: 'welcome' }], lastRead: { alice: 0, carol: 0 } },
        { friendlyName: 'Secret', participants: ['alice', 'bob'], messages: [{ author: 'bob', body: 'for alice only' }], lastRead: { alice: 0 } },
      ],
    });
    generalSid = general!.sid;
    PageComponent.secretSid = secret!.sid;
    signedIn = 'alice';
    TestBed.configureTestingModule({ providers: chatProviders(fake, () => signedIn) });
  });

  afterEach(async () => {
    await TestBed.inject(ConversationsService).signOut();
    fake.close();
  });

  it('NG-1: shows the signed-in user\'s conversations, and a live message raises the unread count', async () => {
    const fixture = TestBed.createComponent(InboxComponent);
    await fixture.whenStable();
    expect(textsOf(fixture, '.state')).toEqual(['disconnected']);
    expect(textsOf(fixture, '.row')).toEqual([]);

    await TestBed.inject(ConversationsService).signIn();
    // Both seeded within the same milliseconds: their order is the client's (STORE-2), not asserted here.
    const shows = (state: string, rows: string[]) => () =>
      textsOf(fixture, '.state')[0] === state && JSON.stringify(textsOf(fixture, '.row').sort()) === JSON.stringify(rows);
    await rendered(fixture, shows('connected alice', ['General (0)', 'Secret (0)']), 'the synchronised list');

    await fake.as('bob').send(generalSid, 'are you there?');
    await rendered(fixture, shows('connected alice', ['General (1)', 'Secret (0)']), 'General with one unread');
  });

  it('NG-1: after sign-out and sign-in as another user, nothing of the first user shows, in any render', async () => {
    const chat = TestBed.inject(ConversationsService);
    const fixture = TestBed.createComponent(PageComponent);
    await chat.signIn();
    const alicesClient = chat.client()!;
    await fixture.componentInstance.secret.loadOlder();
    await rendered(fixture, () => textsOf(fixture, '.message').includes('bob: for alice only'), "alice's secret conversation");
    await rendered(fixture, () => textsOf(fixture, '.row').length === 2 && textsOf(fixture, '.title')[0] === 'Secret', "alice's inbox");

    // Every render from now on is recorded: the first user's data must not appear in a single one.
    const renders: string[] = [];
    const recorder = afterEveryRender(() => void renders.push((fixture.nativeElement as HTMLElement).textContent ?? ''), {
      injector: fixture.componentRef.injector,
    });
    await chat.signOut();
    expect(fake.connections.map((c) => c.closed?.by)).toEqual(['client']); // alice's client shut down
    await rendered(fixture, () => textsOf(fixture, '.state')[0] === 'disconnected' && textsOf(fixture, '.row').length === 0, 'the signed-out page');
    expect(textsOf(fixture, '.title')).toEqual(['no conversation']);
    expect(textsOf(fixture, '.message')).toEqual([]);

    signedIn = 'carol';
    await chat.signIn();
    expect(chat.client()).not.toBe(alicesClient); // never the shut-down client again
    await rendered(fixture, () => JSON.stringify(textsOf(fixture, '.row')) === '["General (0)"]', "carol's inbox");
    await fake.as('bob').send(PageComponent.secretSid, 'still for alice only');
    await fake.as('bob').send(generalSid, 'hello carol');
    await rendered(fixture, () => JSON.stringify(textsOf(fixture, '.row')) === '["General (1)"]', "carol's unread message");
    recorder.destroy();

    expect(textsOf(fixture, '.state')).toEqual(['connected carol']);
    expect(renders.filter((text) => /alice|Secret/.test(text))).toEqual([]);
    expect(fake.connections.map((c) => c.identity)).toEqual(['alice', 'carol']);
  });

  it('NG-1: destroying the injector shuts the client down, and the service never signs in again', async () => {
    // A route's or a lazily loaded feature's injector, which is destroyed when the user leaves it.
    const feature = createEnvironmentInjector(chatProviders(fake, () => signedIn), TestBed.inject(EnvironmentInjector));
    const chat = feature.get(ConversationsService);
    const client = await chat.signIn();
    await client.whenSynchronized();

    feature.destroy();
    await expect(client.whenSynchronized()).rejects.toMatchObject({ code: 'client_shut_down' });
    expect(fake.connections.map((c) => c.closed?.by)).toEqual(['client']);
    await expect(chat.signIn()).rejects.toMatchObject({ code: 'client_shut_down' });
    expect(fake.connections).toHaveLength(1);
  });
  it('NG-1: a sign-in overtaken by a sign-out rejects, and no client is left behind', async () => {
    const chat = TestBed.inject(ConversationsService);
    const signingIn = chat.signIn(); // still waiting for its token
    await chat.signOut();
    await expect(signingIn).rejects.toMatchObject({ code: 'client_shut_down' });
    expect(chat.client()).toBeNull();
    expect(chat.connectionState()).toBe('disconnected');
    expect(fake.connections).toEqual([]);
  });
});
