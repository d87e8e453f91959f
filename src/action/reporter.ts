import * as core from "@actions/core";
import type { Progress, Reporter } from "../engine/backfill.ts";
import { isWarning, type Window } from "../engine/window.ts";
import { continuedText, describeBasis, pageLine, restartText, resumeLine, setAsideText } from "../format.ts";

/** Logs progress and remembers the last page saved, for the outputs of a step that fails. */
export class ActionReporter implements Reporter {
  last: Progress | undefined;
  windowed: Window | undefined;

  resumed: Reporter["resumed"] = (info) => core.info(`↻ ${resumeLine(info, Date.now())}`);
  restarted: Reporter["restarted"] = (location) => core.info(restartText(location));
  setAside: Reporter["setAside"] = (info) => core.warning(setAsideText(info));
  continued: Reporter["continued"] = (info) => core.warning(continuedText(info));
  window = (window: Window) => {
    this.windowed = window;
    (isWarning(window) ? core.warning : core.info)(describeBasis(window, Date.now()));
  };
  page = (progress: Progress) => {
    this.last = progress;
    core.info(pageLine(progress, true));
  };
}
