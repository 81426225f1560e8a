/**
 * The demo web app: plain DOM rendered from the client's observables. Everything the page shows comes
 * from one `ConversationsClient`; commands (`sendMessage`, `add`, …) need no follow-up reads because
 * each resolves only once its effect is in the store (STORE-6).
 */
import { BehaviorSubject, EMPTY, Observable, Subscription, catchError, combineLatest, distinctUntilChanged, exhaustMap, filter, from, map, startWith, switchMap } from 'rxjs';
import { ConversationsClient, type LoadResult, type SentMessage } from '@rx-conversations/client';
import { createMediaSupport, type MediaInput } from '@rx-conversations/client/media';
import { indexedDbPersistence } from '@rx-conversations/client/persistence';
import { shareAcrossTabs } from '@rx-conversations/client/tabs';
import { fetchDevToken } from './devToken.js';
import { AttachmentViews, attachmentsOf } from './media.js';
import { conversationName, receiptsOf, renderConversations, renderMessages, typingText, type MessageActions } from './render.js';

const byTestId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.querySelector<T>(`[data-testid="${id}"]`);
  if (element === null) throw new Error(`index.html lacks data-testid="${id}"`);
  return element;
};

const ui = {
  signIn: byTestId<HTMLFormElement>('sign-in-form'),
  me: byTestId('me'),
  state: byTestId('connection-state'),
  chat: document.getElementById('chat')!,
  createForm: byTestId<HTMLFormElement>('create-form'),
  joinForm: byTestId<HTMLFormElement>('join-form'),
  conversations: byTestId('conversations'),
  conversation: document.getElementById('conversation')!,
  title: byTestId('conversation-title'),
  participants: byTestId('participants'),
  addForm: byTestId<HTMLFormElement>('add-participant-form'),
  loadOlder: byTestId<HTMLButtonElement>('load-older'),
  messages: byTestId('messages'),
  typing: byTestId('typing'),
  composerForm: byTestId<HTMLFormElement>('composer-form'),
  composer: byTestId<HTMLInputElement>('composer'),
  attach: byTestId<HTMLInputElement>('attach'),
  replying: byTestId('replying'),
  error: byTestId('error'),
};

const IDENTITY_KEY = 'rx-conversations-demo:identity';
const HISTORY_PAGE_SIZE = 50;

function showError(err: unknown): void {
  const code = (err as { code?: unknown }).code;
  ui.error.textContent = `${typeof code === 'string' ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`;
}

/** Reads a form's fields and resets it; runs `action` and reports its failure on the page. */
function onSubmit(form: HTMLFormElement, action: (fields: Record<string, string>) => Promise<unknown> | void): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const fields: Record<string, string> = {};
    new FormData(form).forEach((value, name) => (fields[name] = String(value).trim()));
    ui.error.textContent = '';
    form.reset();
    Promise.resolve()
      .then(() => action(fields))
      .catch(showError);
  });
}

async function signIn(identity: string): Promise<void> {
  const token = await fetchDevToken(identity);
  sessionStorage.setItem(IDENTITY_KEY, identity);
  const client = new ConversationsClient(token, {
    // `?ws=` points the websocket elsewhere than the page (tests hold it behind a relay).
    url: new URLSearchParams(location.search).get('ws') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`,
    // Called before the token expires; the new one is swapped in on the open socket (CONN-7).
    tokenProvider: () => fetchDevToken(identity),
    // Files go over HTTP to the same server (`POST /v1/media`), with progress (MEDIA-1).
    media: createMediaSupport(),
    // A reload shows the last conversations and messages at once, and sends queued offline survive it (OFFLINE-1, OFFLINE-2).
    persistence: indexedDbPersistence(),
    // Tabs signed in as the same user share one websocket; when that tab closes, another takes over (OFFLINE-3).
    tabs: shareAcrossTabs(),
  });
  ui.signIn.hidden = true;
  ui.chat.hidden = false;
  ui.me.textContent = identity;
  startChat(client, identity);
}

/** The message the next one replies to (PARITY-3), shown above the composer until sent or cancelled. */
let replyTarget: SentMessage | null = null;
function setReplyTarget(message: SentMessage | null): void {
  replyTarget = message;
  ui.replying.hidden = message === null;
  ui.replying.textContent = message === null ? '' : `Replying to ${message.author}: ${message.body ?? ''} (Esc to cancel)`;
  if (message !== null) ui.composer.focus();
}

function startChat(client: ConversationsClient, me: string): void {
  const openSid$ = new BehaviorSubject<string | null>(null);
  const open = (sid: string): void => openSid$.next(sid);
  const current = () => {
    const sid = openSid$.value;
    if (sid === null) throw new Error('Open a conversation first.');
    return client.conversation(sid);
  };

  combineLatest([client.connectionState$, client.cached$]).subscribe(([state, cached]) => {
    // Until the server confirms it, what the page shows came from this browser's cache.
    ui.state.textContent = cached ? `${state} (cached)` : state;
    ui.state.dataset['state'] = state;
    ui.state.dataset['cached'] = String(cached);
  });
  combineLatest([client.conversations$, openSid$]).subscribe(([conversations, openSid]) =>
    renderConversations(ui.conversations, conversations, openSid, open),
  );
  openSid$.pipe(distinctUntilChanged(), switchMap((sid) => (sid === null ? EMPTY : showConversation(client, sid, me)))).subscribe();

  onSubmit(ui.createForm, async ({ friendlyName, uniqueName }) => {
    const created = await client.createConversation({ friendlyName: friendlyName || undefined, uniqueName: uniqueName || undefined });
    open(created.sid);
  });
  onSubmit(ui.joinForm, async ({ uniqueName }) => {
    const joined = await client.joinConversation({ uniqueName: uniqueName ?? '' });
    open(joined.sid);
  });
  onSubmit(ui.addForm, ({ identity }) => current().add(identity ?? ''));
  onSubmit(ui.composerForm, ({ body }) => {
    // Not awaited: the message shows at once as `sending` (STORE-7); a failure shows on the message.
    const replyTo = replyTarget;
    setReplyTarget(null);
    if (body) current().sendMessage(replyTo === null ? body : { body, replyTo: replyTo.index }).catch(() => undefined);
  });
  // Attach by button, drag and drop, or paste: each sends a message with the files at once, the
  // composer's text as its body. Not awaited: it shows with progress bars, and a failure on the message.
  const sendFiles = (media: MediaInput[]): void => {
    if (media.length === 0) return;
    const body = ui.composer.value.trim() || null;
    ui.composer.value = '';
    ui.error.textContent = '';
    current().sendMessage({ body, media }).catch(() => undefined);
  };
  ui.attach.addEventListener('change', () => {
    sendFiles(attachmentsOf(ui.attach.files));
    ui.attach.value = '';
  });
  ui.composer.addEventListener('paste', (event) => {
    const media = attachmentsOf(event.clipboardData?.files);
    if (media.length > 0) event.preventDefault();
    sendFiles(media);
  });
  ui.conversation.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.conversation.classList.add('dropping');
  });
  ui.conversation.addEventListener('dragleave', () => ui.conversation.classList.remove('dropping'));
  ui.conversation.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.conversation.classList.remove('dropping');
    sendFiles(attachmentsOf(event.dataTransfer?.files));
  });
  ui.composer.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') setReplyTarget(null);
  });
  ui.composer.addEventListener('input', () => {
    if (ui.composer.value !== '') current().typing().catch(() => undefined); // best effort, like the signal itself
  });
  ui.loadOlder.addEventListener('click', () => {
    current().loadOlder(HISTORY_PAGE_SIZE).then(showLoadOlder, showError);
  });
}

/** Renders one conversation while subscribed; unsubscribing (opening another) releases it all. */
function showConversation(client: ConversationsClient, sid: string, me: string): Observable<never> {
  return new Observable<never>(() => {
    const chat = client.conversation(sid);
    const subscription = new Subscription();
    const attachments = new AttachmentViews(chat);
    subscription.add(() => attachments.dispose());
    ui.conversation.hidden = false;
    ui.messages.replaceChildren();
    subscription.add(
      chat.state$.subscribe((conversation) => {
        if (conversation !== null) ui.title.textContent = conversationName(conversation);
      }),
    );
    subscription.add(
      chat.participants$.subscribe((participants) => {
        ui.participants.textContent = `Participants: ${participants.map((p) => p.identity).join(', ')}`;
      }),
    );
    const actions: MessageActions = {
      react: (message, emoji, mine) => void (mine ? chat.unreact(message.index, emoji) : chat.react(message.index, emoji)).catch(showError),
      reply: (message) => setReplyTarget(message),
    };
    // Read receipts come from the roster's read horizons: no request per message (PARITY-3).
    subscription.add(
      // The roster is read from the server; until then (offline, from the cache) messages show without receipts.
      combineLatest([chat.messages$, chat.participants$.pipe(startWith([]))]).subscribe(([messages, participants]) =>
        renderMessages(ui.messages, messages, me, showError, (m) => attachments.of(m), actions, receiptsOf(messages, participants, me)),
      ),
    );
    subscription.add(() => setReplyTarget(null));
    subscription.add(chat.typing$.subscribe((identities) => (ui.typing.textContent = typingText(identities.filter((i) => i !== me)))));
    // While the conversation is open, whatever arrives is read: clear the unread count as it rises.
    subscription.add(
      chat.state$
        .pipe(
          map((conversation) => conversation?.membership?.unreadMessagesCount ?? 0),
          filter((unread) => unread > 0 && document.visibilityState === 'visible'),
          exhaustMap(() => from(chat.setAllMessagesRead()).pipe(catchError((err: unknown) => (showError(err), EMPTY)))),
        )
        .subscribe(),
    );
    // History is not fetched until asked (STORE-5): load the newest page on open.
    ui.loadOlder.hidden = true;
    chat.loadOlder(HISTORY_PAGE_SIZE).then(showLoadOlder, showError);
    ui.composer.focus();
    return subscription;
  });
}

function showLoadOlder({ hasMore }: LoadResult): void {
  ui.loadOlder.hidden = !hasMore;
}

onSubmit(ui.signIn, ({ identity }) => (identity ? signIn(identity) : undefined));
const remembered = sessionStorage.getItem(IDENTITY_KEY);
if (remembered !== null) signIn(remembered).catch(showError);
