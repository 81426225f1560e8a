// Angular compiles the test components' templates JIT, as `ng test` does: the compiler must be
// loaded before any component is used, so this module imports it first.
import '@angular/compiler';
import { afterEveryRender, provideZonelessChangeDetection, type EnvironmentProviders, type Provider } from '@angular/core';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import type { FakeServer } from '@rx-conversations/testing';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import { provideConversations } from '../../src/index.js';

let initialised = false;

/** Starts Angular's browser testing platform once per test file (each file has its own module graph). */
export function initAngularTesting(): void {
  if (initialised) return;
  TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });
  initialised = true;
}

/** The text of each element matching `selector` in the fixture, whitespace collapsed: what a user reads. */
export function textsOf(fixture: ComponentFixture<unknown>, selector: string): string[] {
  const root = fixture.nativeElement as HTMLElement;
  return Array.from(root.querySelectorAll(selector), (element) => (element.textContent ?? '').replace(/\s+/g, ' ').trim());
}

/**
 * Resolves once a render of the app makes `shows()` true, checking after every render Angular does by
 * itself (zoneless: signals schedule them). Bounded by a timeout, never a sleep.
 */
export function rendered(fixture: ComponentFixture<unknown>, shows: () => boolean, label: string, ms = 3_000): Promise<void> {
  if (shows()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ref.destroy();
      reject(new Error(`timed out waiting for ${label}; the fixture shows: "${(fixture.nativeElement as HTMLElement).textContent}"`));
    }, ms);
    const ref = afterEveryRender(
      () => {
        if (!shows()) return;
        clearTimeout(timer);
        ref.destroy();
        resolve();
      },
      { injector: fixture.componentRef.injector },
    );
  });
}

/** Waits (in real time, bounded) for the first value of `source` matching `predicate`. */
export function waitFor<T>(source: Observable<T>, predicate: (value: T) => boolean, label: string): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate), timeout({ first: 3_000, with: () => { throw new Error(`timed out waiting for ${label}`); } })));
}

/**
 * The providers of an app whose chat talks to `fake`: zoneless change detection and
 * `provideConversations()`, its `tokenProvider` minting a token for whoever `signedIn()` names.
 */
export function chatProviders(fake: FakeServer, signedIn: () => string): (Provider | EnvironmentProviders)[] {
  return [
    provideZonelessChangeDetection(),
    provideConversations({
      url: fake.url,
      WebSocket: fake.WebSocket,
      fetch: fake.fetch,
      platform: null, // no browser online/visibility listeners in tests
      tokenProvider: async () => fake.tokenFor(signedIn()),
    }),
  ];
}
