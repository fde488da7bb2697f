// The console's only script: ask before dangerous actions, and refresh pages that ask for it.
document.addEventListener("submit", function (event) {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
(function refresh() {
  const seconds = Number(document.body.dataset.refresh || 0);
  if (!seconds) {
    return;
  }
  window.setInterval(function () {
    const editing = document.activeElement && ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (!editing) {
      window.location.reload();
    }
  }, seconds * 1000);
})();
