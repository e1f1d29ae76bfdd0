// A whole doc2video with the Telegram front door and adapter, pointed at the fake Bot API:
// real grammY bot, real Redis, real worker, real pipeline steps. The video renderer is a test
// double of the external provider (D-ID): it answers at once and hands back a tiny real MP4.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { FakeTelegram, type FakeTelegramOptions } from '../fakes/telegram.js';
import { syntheticVideoArgs } from '../fakes/synthetic-video.js';
import { corpusPath } from './corpus.js';
import { startHarness, type Harness, type HarnessOptions } from './harness.js';
import { createLocalScriptWriter } from '../../pipeline/providers/local-script.js';
import type { RenderRequest, VideoRenderer } from '../../pipeline/ports.js';
import type { AdmissionGuard } from '../../src/queue/submit.js';
import { startTelegramFrontDoor, telegramAdapterFor, type TelegramFrontDoor } from '../../bots/telegram/index.js';
import type { TelegramAdapter, TelegramAdapterOptions } from '../../bots/telegram/adapter.js';

export const corpus = (name: string) => readFile(corpusPath(path.join('py-pdf', name)));

/** A 1-second H.264/AAC MP4 of a few KB, made once per machine with ffmpeg. */
export async function tinyMp4(): Promise<Buffer> {
  const file = path.join(tmpdir(), 'd2v-test-tiny-v2.mp4');
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.mp4`;
    await promisify(execFile)(
      'ffmpeg',
      syntheticVideoArgs({ picture: 'color=c=blue:s=160x120:d=1', audio: 'anullsrc=r=16000:cl=mono', faststart: true }, tmp),
    );
    const { rename } = await import('node:fs/promises');
    await rename(tmp, file);
  }
  return readFile(file);
}

export type RenderDouble = VideoRenderer & {
  creates: RenderRequest[];
  statusCalls: number;
  /** Hold renders "pending" from now on / let them finish. */
  hold(): void;
  release(): void;
};

/** The external video provider, answering at once (or holding renders "pending" until released). */
export function renderDouble(opts: { video: Buffer; hold?: boolean; durationSeconds?: number }): RenderDouble {
  let held = opts.hold ?? false;
  const double: RenderDouble = {
    name: 'd-id',
    creates: [],
    statusCalls: 0,
    hold() {
      held = true;
    },
    release() {
      held = false;
    },
    async create(req, ctx) {
      double.creates.push(req);
      return { id: `tlk_${ctx.jobId}` };
    },
    async findExisting() {
      return undefined;
    },
    async status(id) {
      double.statusCalls++;
      if (held) return { state: 'pending', raw: 'started' };
      return { state: 'done', resultUrl: `https://d-id.example/results/${id}.mp4`, durationSeconds: opts.durationSeconds ?? 1 };
    },
    async download() {
      return Readable.from([opts.video]);
    },
  };
  return double;
}

export interface TelegramRig {
  fake: FakeTelegram;
  h: Harness;
  door: TelegramFrontDoor | undefined;
  /** The instant provider double (unused when another renderer was passed). */
  renderer: RenderDouble;
  secret: string;
  close(): Promise<void>;
}

export async function startTelegramRig(opts: {
  redisUrl: string;
  mode: 'webhook' | 'polling';
  env?: Record<string, string>;
  hold?: boolean;
  fake?: FakeTelegramOptions;
  adapter?: Partial<Pick<TelegramAdapterOptions, 'maxUploadBytes' | 'editIntervalMs' | 'chatActionEveryMs'>>;
  worker?: boolean;
  guards?: AdmissionGuard[];
  /** Another video provider (e.g. the offline one) instead of the instant double. */
  renderer?: VideoRenderer;
  /** Operations wired in (cost ledger, budgets, metrics): see HarnessOptions.ops. */
  ops?: HarnessOptions['ops'];
}): Promise<TelegramRig> {
  const fake = await FakeTelegram.start(opts.fake);
  const double = renderDouble({ video: await tinyMp4(), ...(opts.hold ? { hold: true } : {}) });
  const renderer = opts.renderer ?? double;
  const secret = 'wh_secret-Test_0123456789';
  let door: TelegramFrontDoor | undefined;
  let adapter: TelegramAdapter | undefined;
  const h = await startHarness({
    redisUrl: opts.redisUrl,
    publicUrl: opts.mode === 'webhook',
    env: {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      ...(opts.mode === 'webhook' ? { TELEGRAM_WEBHOOK_SECRET: secret } : {}),
      RATE_LIMIT_MAX: '20',
      ...opts.env,
    },
    services: { writer: createLocalScriptWriter(), renderer, ...(opts.guards ? { guards: opts.guards } : {}) },
    mount: async (services, http) => {
      door = await startTelegramFrontDoor(services, http);
    },
    adapters: (services) => {
      adapter = telegramAdapterFor(services, opts.adapter)!;
      return { telegram: adapter };
    },
    worker: opts.worker ?? true,
    ...(opts.ops ? { ops: opts.ops } : {}),
  });
  return {
    fake,
    h,
    get door() {
      return door;
    },
    renderer: double,
    secret,
    async close() {
      await door?.stop();
      await h.close();
      await adapter?.close();
      await fake.close();
    },
  };
}
