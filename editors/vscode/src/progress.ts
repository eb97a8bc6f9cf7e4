// The server's work-done progress (an optimize run, a workload trace) as a notification with a
// Cancel button. vscode-languageclient shows server-created progress in the status bar
// (ProgressLocation.Window), where VS Code offers no way to cancel: a run the server declares
// cancellable could not be cancelled from VS Code, and the only sign of it was a small spinner
// at the bottom of the window.
import * as vscode from "vscode";
import {
  LanguageClient, WorkDoneProgress, WorkDoneProgressBegin, WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest, WorkDoneProgressReport,
} from "vscode-languageclient/node";

/** Answer `window/workDoneProgress/create` in place of the client's own handler. Call after
 * `client.start()` (the client registers its handler while starting; the later one wins). */
export function progressAsNotifications(client: LanguageClient): vscode.Disposable {
  return client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
    let progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let finish: (() => void) | undefined;
    let ended = false;
    let reported = 0;
    const report = (value: WorkDoneProgressBegin | WorkDoneProgressReport) => {
      const percentage = value.percentage === undefined ? undefined
        : Math.max(reported, Math.min(100, value.percentage));
      progress?.report({ message: value.message,
        increment: percentage === undefined ? undefined : percentage - reported });
      reported = percentage ?? reported;
    };
    const listener = client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === "begin") {
        void vscode.window.withProgress({
          location: vscode.ProgressLocation.Notification,
          title: value.title,
          cancellable: value.cancellable ?? false,
        }, (shown, cancellation) => {
          progress = shown;
          cancellation.onCancellationRequested(() => void client.sendNotification(
            WorkDoneProgressCancelNotification.type, { token }));
          report(value);
          return ended ? Promise.resolve() : new Promise<void>((resolve) => { finish = resolve; });
        });
      } else if (value.kind === "report") {
        report(value);
      } else {
        ended = true;
        listener.dispose();
        finish?.();
      }
    });
  });
}
