// Our real D-ID client pointed at the fake D-ID, with short retry delays for tests.
import { createDidRenderer, type DidRendererOptions } from '../../pipeline/providers/did.js';
import type { FakeDid } from '../fakes/did.js';

export const TEST_AVATARS = { professional: 'v2_public_Amber@0zSz8kflCN', friendly: 'v2_public_alex@qcvo4gupoy' };

export function didRendererFor(fake: FakeDid, extra: Partial<DidRendererOptions> = {}) {
  return createDidRenderer({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    api: 'clips',
    avatars: TEST_AVATARS,
    retryDelaysMs: [10, 20],
    ...extra,
  });
}
