// Progressive enhancement only: every action works without this file.
// A form that is being submitted cannot be submitted again by a second click; the
// server refuses duplicates anyway (one pending request per trait, decided once).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitted) {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (button) {
    button.setAttribute("aria-disabled", "true");
    button.classList.add("disabled");
  });
});

// The dot picker shows every dot up to the chosen one as filled.
function tgPaintDots(fieldset) {
  var checked = fieldset.querySelector("input:checked");
  var value = checked ? Number(checked.value) : -1;
  fieldset.querySelectorAll("input[type=radio]").forEach(function (input) {
    input.classList.toggle("below", Number(input.value) <= value && Number(input.value) > 0);
  });
}
document.querySelectorAll(".dot-picker").forEach(function (fieldset) {
  tgPaintDots(fieldset);
  fieldset.addEventListener("change", function () { tgPaintDots(fieldset); });
});

// "Mark all Approve" in the storyteller's queue: every row that can be approved is set
// to Approve (still nothing is decided until "Save decisions").
var approveAll = document.getElementById("approve-all");
if (approveAll) {
  approveAll.classList.remove("d-none");
  approveAll.addEventListener("click", function () {
    document.querySelectorAll(".decision-approve").forEach(function (radio) {
      radio.checked = true;
    });
  });
}

// The award page: "Gets" follows the choices as they change — the override, else the
// amount for everyone, 0 where the page says the character gets none — and so do the
// hidden copies that "Award this XP" sends, which the server checks against its own sum.
// Without this file, "Show what each gets" asks the server.
var awardPlan = document.getElementById("award-plan");
if (awardPlan) {
  var showButton = document.getElementById("award-show");
  if (showButton) { showButton.classList.add("d-none"); }
  awardPlan.addEventListener("change", function () {
    var everyone = Number(document.getElementById("default").value);
    var total = 0;
    awardPlan.querySelectorAll(".award-row").forEach(function (row) {
      var override = row.querySelector(".award-override").value;
      var gets = row.dataset.blocked ? 0 : (override === "" ? everyone : Number(override));
      row.querySelector(".award-gets").textContent = String(gets);
      row.querySelector(".award-shown").value = String(gets);
      total += gets;
    });
    var totalOutput = document.getElementById("award-total");
    if (totalOutput) { totalOutput.textContent = String(total); }
  });
}

// Invitation links: "Copy link" puts the link on the clipboard; "Share…" opens the
// device's share sheet where there is one. Without this file the link is a read-only
// field to select and copy by hand.
document.querySelectorAll(".invitation-link").forEach(function (field) {
  field.addEventListener("focus", function () { field.select(); });
});
if (navigator.clipboard) {
  document.querySelectorAll(".copy-link").forEach(function (button) {
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.target);
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy link"; }, 2000);
      }, function () { field.select(); });
    });
  });
}
if (navigator.share) {
  document.querySelectorAll(".share-link").forEach(function (button) {
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.target);
      navigator.share({ title: button.dataset.title, url: field.value }).catch(function () {});
    });
  });
}

// The creation summary counts dots as they are tapped, with the same words as the
// server's (characters/summary.py): dots above the free first dot of each attribute,
// per group, largest first, against the guideline (6/4/3 and 11/7/4).
var summaryParts = document.querySelectorAll(".creation-summary .summary-part");
var sheetForm = document.querySelector("form .dot-picker") ? document.querySelector(".dot-picker").form : null;
if (summaryParts.length && sheetForm) {
  var recountSummary = function () {
    summaryParts.forEach(function (part) {
      var kind = part.dataset.kind;
      var category = kind === "Attributes" ? "attribute" : "ability";
      var free = kind === "Attributes" ? 1 : 0;
      var guideline = part.dataset.guideline.split(",").map(Number);
      var groups = {};
      sheetForm.querySelectorAll('.dot-picker[data-category="' + category + '"]').forEach(function (picker) {
        var checked = picker.querySelector("input:checked");
        var rating = checked ? Number(checked.value) : free;
        groups[picker.dataset.group] = (groups[picker.dataset.group] || 0) + rating - free;
      });
      part.querySelectorAll(".summary-groups [data-group]").forEach(function (shown) {
        shown.querySelector(".summary-dots").textContent = String(groups[shown.dataset.group] || 0);
      });
      var spent = Object.keys(groups).map(function (g) { return groups[g]; })
        .sort(function (a, b) { return b - a; });
      var spentText = spent.join("/");
      var guideText = guideline.join("/");
      var difference = spent.reduce(function (a, b) { return a + b; }, 0)
        - guideline.reduce(function (a, b) { return a + b; }, 0);
      var matches = spentText === guideText;
      var message;
      if (matches) {
        message = kind + ": " + spentText + ", as the guideline (" + guideText + ").";
      } else if (difference > 0) {
        message = kind + ": " + spentText + " — " + difference + " dot(s) above the guideline (" + guideText + ").";
      } else if (difference < 0) {
        message = kind + ": " + spentText + " — " + (-difference) + " dot(s) below the guideline (" + guideText + ").";
      } else {
        message = kind + ": " + spentText + " — spread differently from the guideline (" + guideText + ").";
      }
      part.querySelector(".summary-text").textContent = message;
      part.querySelector(".summary-warning").hidden = matches;
      part.querySelector(".summary-message").classList.toggle("text-warning-emphasis", !matches);
    });
  };
  sheetForm.addEventListener("change", recountSummary);
}
