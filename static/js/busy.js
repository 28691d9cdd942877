// A form with data-busy="<id>" shows that status line and disables its
// submit button once sent (a plan import takes a few seconds).
// A static file, not an inline script: the Content-Security-Policy allows
// scripts from this site only.
document.querySelectorAll("form[data-busy]").forEach(function (form) {
  form.addEventListener("submit", function () {
    document.getElementById(form.dataset.busy).hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
  });
});
