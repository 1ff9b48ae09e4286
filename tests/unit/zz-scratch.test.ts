import { it } from 'vitest';
import { workerMachine } from '../../src/machines/worker.js';
import { assistant, modelReply, previewDone, start, step, steps, text, toolUse, toolDone, sentToParent } from '../support/pure.js';
it('scratch', () => {
  const w = start(workerMachine, { ticketId: 'T1', attempt: 1, profile: 'p', system: 's', prompt: 'go', tools: ['read_file','task_complete'], trust: 'step', trustOverride: 'none', maxTurns: 5 });
  let r = step(workerMachine, w.snapshot, modelReply(assistant(toolUse('a','read_file',{path:'x'}))));
  r = step(workerMachine, r.snapshot, previewDone(r.snapshot, {kind:'text', text:'p'}));
  const t = step(workerMachine, r.snapshot, { type: 'clutch.edit_message', message: assistant(text('never mind')) });
  console.log('TEXTONLY', JSON.stringify(t.snapshot.value), JSON.stringify(t.snapshot.context.messages), t.snapshot.context.turns);
  const u = step(workerMachine, r.snapshot, { type: 'clutch.edit_message', message: assistant(text('done'), toolUse('z','task_complete',{summary:'s'})) });
  console.log('TC', JSON.stringify(u.snapshot.value));
  // review + edit message to text only
  let v = steps(workerMachine, r.snapshot, [{type:'clutch.approve'}, toolDone('out')]);
  const v2 = step(workerMachine, v.snapshot, { type: 'clutch.edit_message', message: assistant(text('hmm')) });
  console.log('REVIEW-TEXTONLY', JSON.stringify(v2.snapshot.value), JSON.stringify(v2.snapshot.context.messages));
  // edit payload while previewing
  const p = step(workerMachine, step(workerMachine, w.snapshot, modelReply(assistant(toolUse('a','read_file',{path:'x'})))).snapshot, {type:'clutch.edit_payload', input:{path:'y'}});
  console.log('PREVIEWING-EDIT', JSON.stringify(p.snapshot.value), p.actions.map(a=>a.type), Object.keys(p.snapshot.children));
  // after edit, preview stale?
  const q = step(workerMachine, r.snapshot, {type:'clutch.edit_payload', input:{path:'y'}});
  console.log('STALE', JSON.stringify(q.snapshot.context.preview));
});
