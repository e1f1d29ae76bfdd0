// Which front doors a process runs, from the Config. Workers need the adapters (to talk back);
// the web process also starts the front doors (webhooks / long polling) that accept requests.
import type { CoreServices } from '../src/app/services.js';
import type { HttpServer } from '../src/http/server.js';
import type { AdapterRegistry } from './adapter.js';

export interface FrontDoor {
  stop(): Promise<void>;
}

/** Adapters for every configured platform, for the worker to report progress and deliver. */
export function chatAdapters(services: CoreServices): AdapterRegistry {
  const registry: AdapterRegistry = {};
  void services;
  return registry;
}

/** Start every configured front door on the web process's HTTP server. */
export async function startFrontDoors(services: CoreServices, http: HttpServer): Promise<FrontDoor[]> {
  const doors: FrontDoor[] = [];
  void services;
  void http;
  return doors;
}
