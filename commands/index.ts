import type { CommandDefinition } from '../src/commands/define.ts';
import assign from './incident/assign.ts';
import close from './incident/close.ts';
import declare from './incident/declare.ts';
import help from './incident/help.ts';
import list from './incident/list.ts';
import mitigated from './incident/mitigated.ts';
import note from './incident/note.ts';
import postmortem from './incident/postmortem.ts';
import resolve from './incident/resolve.ts';
import severity from './incident/severity.ts';
import status from './incident/status.ts';
import timeline from './incident/timeline.ts';
import update from './incident/update.ts';
import nodeCollect from './node/collect.ts';
import nodeCordon from './node/cordon.ts';
import nodeDrain from './node/drain.ts';
import nodeHistory from './node/history.ts';
import nodeList from './node/list.ts';
import nodeStatus from './node/status.ts';
import nodeTriage from './node/triage.ts';
import nodeUncordon from './node/uncordon.ts';
import runbookList from './runbook/list.ts';
import runbookRun from './runbook/run.ts';
import runbookShow from './runbook/show.ts';
import workloadList from './workload/list.ts';
import workloadLogs from './workload/logs.ts';
import workloadRestart from './workload/restart.ts';
import workloadStop from './workload/stop.ts';

/** Every command, in the order help lists them. Add a command: write its file, add it here. */
export const commands = [
  declare,
  status,
  update,
  severity,
  assign,
  note,
  timeline,
  mitigated,
  resolve,
  postmortem,
  close,
  list,
  help,
  nodeList,
  nodeStatus,
  nodeHistory,
  nodeTriage,
  nodeCollect,
  nodeCordon,
  nodeUncordon,
  nodeDrain,
  workloadList,
  workloadRestart,
  workloadStop,
  workloadLogs,
  runbookList,
  runbookShow,
  runbookRun,
] as unknown as readonly CommandDefinition[];
