// The tools' native <dialog>s: opened modal from a button, closed by their Close button or Escape,
// and the focus goes back to the button that opened them.
export function wireDialog(dialog, opener, onOpen) {
  opener.addEventListener("click", () => {
    if (dialog.open) return;
    if (onOpen) onOpen();
    dialog.showModal();
  });
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  dialog.addEventListener("close", () => {
    if (opener.isConnected && !opener.disabled) opener.focus();
  });
}

// "WO-000123 Repair (Customer)" for a task of the board, by id: people never see ids.
export function taskLabel(board, taskId) {
  const rows = [...(board.data?.assignments || []), ...(board.data?.unassigned || [])];
  const row = rows.find((r) => r.task_id === taskId);
  if (!row) return null;
  const customer = row.customer_name ? ` (${row.customer_name})` : "";
  return `${row.work_order_number} ${row.name}${customer}`;
}

// The selected task's id from the board's "selected" event ({kind, task, engineerId} or null).
export function selectedTaskId(selection) {
  return selection?.task?.task_id || null;
}
