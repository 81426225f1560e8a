/**
 * A one-line summary of frames for debug logs (CONN-9): types, ops, ids, sequence numbers and kinds,
 * never arguments or payloads (a `token.update` carries a token).
 */
export function describeFrames(frames: readonly (object | string)[]): string {
  const parts: string[] = [];
  for (const frame of frames.slice(0, 20)) {
    if (typeof frame === 'string') {
      parts.push('raw');
      continue;
    }
    const f = frame as Record<string, unknown>;
    switch (f['type']) {
      case 'req': parts.push(`req#${String(f['id'])} ${String(f['op'])}`); break;
      case 'res': parts.push(`res#${String(f['id'])} ${f['ok'] === true ? 'ok' : `error ${String((f['error'] as { code?: unknown } | undefined)?.code)}`}`); break;
      case 'ev': parts.push(`ev seq=${String(f['seq'])} ${String(f['kind'])}`); break;
      case 'sig': parts.push(`sig ${String(f['kind'])}`); break;
      case 'hello': parts.push(`hello lastSeq=${String(f['lastSeq'] ?? '-')}`); break;
      case 'welcome': parts.push(`welcome resume=${String(f['resume'])} headSeq=${String(f['headSeq'])}`); break;
      case 'notice': parts.push(`notice ${String(f['kind'])}`); break;
      default: parts.push(String(f['type']));
    }
  }
  if (frames.length > 20) parts.push(`… ${frames.length - 20} more`);
  return `${frames.length} frame${frames.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}
