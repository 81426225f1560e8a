/**
 * Angular renders into jsdom; the node conditions keep the one rxjs every other project loads (see
 * conversationList.spec.ts).
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 */
import './support/jsdomGlobals.js';
import { chatProviders, initAngularTesting, rendered, textsOf } from './support/angularTesting.js';
import { afterEveryRender, ChangeDetectionStrategy, Component, computed, effect, Input, input, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FakeServer } from '@rx-conversations/testing';
import { ConversationsService, injectConversation } from '../src/index.js';

@Component({
  selector: 'app-conversation',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2>{{ conversation.state()?.friendlyName }}</h2>
    @for (m of conversation.messages(); track m.key) {
      <p class="message" [class.pending]="m.status === 'sending'">{{ m.author }}: {{ m.body }}</p>
    }
    @if (conversation.typing().length > 0) {
      <p class="typing">{{ conversation.typing().join(', ') }} typing…</p>
    }
    <p class="error">{{ error() }}</p>
    <input #box (keyup.enter)="send(box.value); box.value = ''" />
  `,
})
class ConversationComponent {
  /**
   * What the Angular CLI's JIT transform adds for an `input()` field, which only the compiler can see:
   * jest compiles with plain TypeScript, so it is written out here.
   */
  static propDecorators = { sid: [{ type: Input, args: [{ isSignal: true, alias: 'sid', required: true, transform: undefined }] }] };
  readonly sid = input.required<string>();
  readonly conversation = injectConversation(this.sid);
  protected readonly error = signal('');

  constructor() {
    // The newest page of history, for each conversation the view is given.
    effect(() => {
      if (this.conversation.handle() !== null) this.conversation.loadOlder().catch((e: Error) => this.error.set(e.message));
    });
  }

  protected send(text: string): void {
    this.conversation.sendMessage(text).catch((e: Error) => this.error.set(e.message));
  }
}

@Component({
  selector: 'app-host',
  imports: [ConversationComponent],
  template: `<app-conversation [sid]="sid()" />`,
})
class HostComponent {
  readonly sid = signal('');
}

/** A conversation's details, shown on demand: the roster and a server counter. */
@Component({
  selector: 'app-details',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2>{{ conversation.state()?.friendlyName }}</h2>
    @if (open()) {
      <p class="roster">{{ names() }}</p>
      <p class="count">{{ conversation.messagesCount() ?? '…' }} messages</p>
    }
  `,
})
class DetailsComponent {
  static sid = '';
  readonly conversation = injectConversation(DetailsComponent.sid);
  readonly open = signal(false);
  protected readonly names = computed(() => this.conversation.participants().map((p) => p.identity).join(', '));
}

describe('NG-1: a message view with injectConversation, rendered by TestBed (zoneless, OnPush)', () => {
  let fake: FakeServer;
  let general: string;
  let random: string;

  beforeEach(() => {
    initAngularTesting();
    fake = new FakeServer();
    const [g, r] = fake.seed({
      conversations: [
        { friendlyName: 'General', participants: ['alice', 'bob'], messages: [{ author: 'bob', body: 'welcome to general' }] },
        { friendlyName: 'Random', participants: ['alice', 'bob'], messages: [{ author: 'bob', body: 'welcome to random' }] },
      ],
    });
    general = g!.sid;
    random = r!.sid;
    TestBed.configureTestingModule({ providers: chatProviders(fake, () => 'alice') });
  });

  afterEach(async () => {
    await TestBed.inject(ConversationsService).signOut();
    fake.close();
  });

  async function hostOn(sid: string) {
    const fixture = TestBed.createComponent(HostComponent);
    fixture.componentInstance.sid.set(sid);
    await TestBed.inject(ConversationsService).signIn();
    return fixture;
  }

  it('NG-1: when the sid changes, the view shows the new conversation and nothing more of the old one', async () => {
    const fixture = await hostOn(general);
    const messages = () => textsOf(fixture, '.message');
    await rendered(fixture, () => textsOf(fixture, 'h2')[0] === 'General' && messages().join() === 'bob: welcome to general', 'General');

    const renders: { title: string; messages: string[] }[] = [];
    const recorder = afterEveryRender(() => void renders.push({ title: textsOf(fixture, 'h2')[0] ?? '', messages: messages() }), {
      injector: fixture.componentRef.injector,
    });
    fixture.componentInstance.sid.set(random);
    await rendered(fixture, () => textsOf(fixture, 'h2')[0] === 'Random' && messages().join() === 'bob: welcome to random', 'Random');

    await fake.as('bob').typing(general);
    await fake.as('bob').send(general, 'said in general');
    await fake.as('bob').send(random, 'said in random');
    await rendered(fixture, () => messages().join() === 'bob: welcome to random,bob: said in random', "Random's live message");
    recorder.destroy();

    expect(textsOf(fixture, '.typing')).toEqual([]);
    // No render showed General's messages under Random's title.
    expect(renders.filter((r) => r.title === 'Random' && r.messages.some((m) => m.includes('general')))).toEqual([]);
  });

  it('NG-1: a message sent from the view shows at once as sending, then as sent; bob typing shows', async () => {
    const fixture = await hostOn(general);
    await rendered(fixture, () => textsOf(fixture, '.message').length === 1, 'the history');

    fake.pause(); // the server applies the send, its reply is held
    const box = (fixture.nativeElement as HTMLElement).querySelector('input')!;
    box.value = 'on my way';
    box.dispatchEvent(new KeyboardEvent('keyup', { key: 'Enter' }));
    await rendered(fixture, () => textsOf(fixture, '.message.pending').join() === 'alice: on my way', 'the pending message');
    expect(box.value).toBe('');

    fake.resume();
    await rendered(fixture, () => textsOf(fixture, '.message').length === 2 && textsOf(fixture, '.pending').length === 0, 'the sent message');
    expect(fake.state.messages(general).map((m) => m.body)).toEqual(['welcome to general', 'on my way']);

    await fake.as('bob').typing(general);
    await rendered(fixture, () => textsOf(fixture, '.typing').join() === 'bob typing…', 'bob typing');
  });

  it('NG-1: while signed out the signals are empty and the commands reject with client_shut_down', async () => {
    const fixture = await hostOn(general);
    const { conversation } = fixture.debugElement.children[0]!.componentInstance as ConversationComponent;
    await rendered(fixture, () => textsOf(fixture, '.message').length === 1, 'the history');

    await TestBed.inject(ConversationsService).signOut();
    await rendered(fixture, () => textsOf(fixture, '.message').length === 0 && textsOf(fixture, 'h2')[0] === '', 'the signed-out view');
    expect(conversation.handle()).toBeNull();
    await expect(conversation.sendMessage('anyone?')).rejects.toMatchObject({ code: 'client_shut_down' });
    expect(fake.state.messages(general)).toHaveLength(1);
  });
  it('NG-1: the roster and the counters are fetched only once a template reads them', async () => {
    DetailsComponent.sid = general;
    const fixture = TestBed.createComponent(DetailsComponent);
    await TestBed.inject(ConversationsService).signIn();
    await rendered(fixture, () => textsOf(fixture, 'h2')[0] === 'General', 'the title');
    const fetches = () => fake.requests.map((r) => r.op).filter((op) => op === 'participants.list' || op === 'conversations.counts');
    expect(fetches()).toEqual([]);

    fixture.componentInstance.open.set(true);
    await rendered(fixture, () => textsOf(fixture, '.roster')[0] === 'alice, bob' && textsOf(fixture, '.count')[0] === '1 messages', 'the details');
    expect(fetches().sort()).toEqual(['conversations.counts', 'participants.list']);
  });
});
