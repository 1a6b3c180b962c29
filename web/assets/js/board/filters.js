// The filters form works as a plain GET form (the page reads the URL); here it applies without a
// page load: the URL is rewritten and the board refetched. Territories and skills are offered
// from the engineers the board shows.
export function init(board) {
  const form = document.getElementById("board-filters");
  if (!form) return;
  const territories = document.getElementById("board-territories");
  const skills = document.getElementById("board-skills");

  const read = () => {
    const data = new FormData(form);
    return {
      start: data.get("start") || board.filters.start,
      days: Number(data.get("days") || 1),
      territory: String(data.get("territory") || "").trim(),
      skill: String(data.get("skill") || "").trim(),
      sort: data.get("sort") || "name",
    };
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    board.setFilters(read());
  });
  form.addEventListener("change", (event) => {
    if (event.target.matches("select, input[type=date]")) board.setFilters(read());
  });
  for (const link of form.querySelectorAll("[data-shift-days]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const [y, m, d] = board.filters.start.split("-").map(Number);
      const day = new Date(Date.UTC(y, m - 1, d + Number(link.dataset.shiftDays) * board.filters.days));
      const start = day.toISOString().slice(0, 10);
      form.elements.start.value = start;
      board.setFilters({ start });
    });
  }
  board.on("loaded", (data) => {
    const seenTerritories = new Set(data.engineers.map((e) => e.territory).filter(Boolean));
    const seenSkills = new Set(data.engineers.flatMap((e) => (e.skills || []).map((s) => s.skill)));
    fill(territories, seenTerritories);
    fill(skills, seenSkills);
  });

  function fill(list, values) {
    if (!list) return;
    // keep what the filter narrowed away: add, never remove, so the planner can widen it again
    const have = new Set([...list.options].map((o) => o.value));
    for (const value of [...values].sort()) if (!have.has(value)) list.append(new Option(value, value));
  }
}
