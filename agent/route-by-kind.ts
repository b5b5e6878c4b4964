import type { Agent, JobKind } from "../src/contracts.js";

/**
 * One Agent for the worker (which never imports agent/): questions go to the chat agent, code reviews to
 * the review agent, by the request's kind.
 */
export function routeByKind(agents: Readonly<Record<JobKind, Agent>>): Agent {
  return (request, context) => agents[request.kind](request, context);
}
