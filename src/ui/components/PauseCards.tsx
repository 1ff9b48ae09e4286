import type { ActorView } from '../../protocol/wire.js';
import type { Pause } from '../pause.js';
import type { WorkerView } from '../views.js';
import { ApprovalCard } from './ApprovalCard.js';
import { BudgetCard } from './BudgetCard.js';
import { InterruptedCard } from './InterruptedCard.js';
import { PauseRefusal } from './Refusal.js';
import { ReviewCard } from './ReviewCard.js';

/**
 * The pause one agent waits at, as its card (approval, review of a result, an interrupted
 * command, or a spent budget), after the last refused answer to it. The agent is any worker: a
 * ticket's, its reviewer (`T2@review`), or the planner's pm and tech lead. The budget card shows a
 * refused raise inside itself, under the field it came from.
 */
export function PauseCards({ agent, view, pause }: { agent: string; view: ActorView<WorkerView> | null; pause: Pause | null }) {
  return (
    <>
      {!(view && pause?.kind === 'budget') && <PauseRefusal ticketId={agent} />}
      {view && pause?.kind === 'approval' && <ApprovalCard key={`${agent}:${pause.call?.id}:${JSON.stringify(pause.call?.input)}`} ticketId={agent} view={view} pause={pause} />}
      {view && pause?.kind === 'interrupted' && <InterruptedCard key={`${agent}:${pause.call?.id}`} ticketId={agent} view={view} pause={pause} />}
      {view && pause?.kind === 'review' && (
        <ReviewCard key={`${agent}:${pause.result.tool_use_id}:${pause.result.content}:${pause.result.is_error}`} ticketId={agent} view={view} pause={pause} />
      )}
      {view && pause?.kind === 'budget' && <BudgetCard key={`${agent}:${pause.id}`} ticketId={agent} view={view} pause={pause} />}
    </>
  );
}
