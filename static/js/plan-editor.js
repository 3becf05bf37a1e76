// The plan editor: product switch, committed changes, unsaved changes, the diagram's muscles, focus.
// Plain ES module, no build step. Without it the page still works: every button submits the form and
// the server clears doses typed for another product (views._doses_in_chosen_product).

const form = document.getElementById("plan-form");

if (form) {
  const product = form.querySelector("select[name=product]");
  const dosesProduct = form.querySelector("input[name=doses_product]");
  const summary = document.getElementById("plan-summary");
  let dirty = false;

  const say = (text) => {
    if (summary) summary.textContent = text;
  };
  const doseInputs = () => form.querySelectorAll("input[name$='-dose']");
  const commit = () => form.dispatchEvent(new CustomEvent("plan:commit", { bubbles: true }));

  // Choosing another product clears every dose at once and relabels the column: a number typed for
  // one product never shows with another product's unit, not even until the next save.
  const switchProduct = () => {
    const option = product.selectedOptions[0];
    const units = option && option.value ? option.dataset.units : "U";
    if (dosesProduct && dosesProduct.value && option && option.value && dosesProduct.value !== option.value) {
      let cleared = 0;
      for (const input of doseInputs()) {
        if (input.value !== "") cleared += 1;
        input.value = "";
      }
      if (cleared) {
        say(`Product changed to ${option.textContent.trim()}: every dose was cleared; enter them in ${units}.`);
      }
    }
    if (dosesProduct && option && option.value) dosesProduct.value = option.value;
    for (const header of document.querySelectorAll("[data-units-label]")) {
      header.textContent = `Dose (${units})`;
    }
  };

  // A closed select changes value on each arrow key; only a committed choice (mouse, Enter, leaving the
  // field) asks the server again, so a screen reader hears one update, not one per key.
  const arrowKeys = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);
  let keyedSelect = null;
  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.tagName !== "SELECT") return;
    if (arrowKeys.has(event.key) || event.key.length === 1) keyedSelect = target;
    if (event.key === "Enter" && keyedSelect === target) {
      keyedSelect = null;
      commit();
    }
  });
  form.addEventListener("focusout", (event) => {
    if (keyedSelect && event.target === keyedSelect) {
      keyedSelect = null;
      commit();
    }
  });

  form.addEventListener("input", () => {
    dirty = true;
  });
  form.addEventListener("change", (event) => {
    dirty = true;
    if (event.target === product) switchProduct();
    if (event.target.name === "add_muscle" || event.target.name === "add_side") return; // nothing planned yet
    if (event.target.tagName === "SELECT" && keyedSelect === event.target) return; // waits for the commit
    commit();
  });

  // Leaving with unsaved changes asks; every submit of the form saves them (Review and sign included).
  form.addEventListener("submit", () => {
    dirty = false;
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // The diagram's muscles: a click, a tap, Enter or Space adds the muscle on that side.
  const addFromDiagram = (target) => {
    const button = document.createElement("button");
    button.type = "submit";
    button.name = "action";
    button.value = target.dataset.add;
    button.hidden = true;
    form.append(button);
    form.requestSubmit(button);
  };
  form.addEventListener("click", (event) => {
    const target = event.target.closest("[data-add]");
    if (target && form.contains(target)) addFromDiagram(target);
  });
  form.addEventListener("keydown", (event) => {
    const target = event.target.closest ? event.target.closest("[data-add][role=button]") : null;
    if (target && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      addFromDiagram(target);
    }
  });

  // The live check keeps focus where it was: htmx restores it by id (the Add buttons have ids), and the
  // summary line (the only live region) says what changed.

  // After Add, the new row has the focus; after Save, the message does (it is at the top of the page).
  // The browser focuses the #row-N fragment's target itself once the page is loaded (the row is not
  // focusable, so the focus would fall to the page): the dose field is focused after that.
  const focusAfterLoad = () => {
    const match = window.location.hash.match(/^#row-(\d+)$/);
    const row = match ? document.getElementById(`id_rows-${match[1]}-dose`) : null;
    if (row) {
      row.focus();
      row.scrollIntoView({ block: "center" });
      return;
    }
    const message = document.querySelector(".messages .alert");
    if (message) {
      message.setAttribute("tabindex", "-1");
      message.focus();
    }
  };
  if (document.readyState === "complete") {
    setTimeout(focusAfterLoad, 0);
  } else {
    window.addEventListener("load", () => setTimeout(focusAfterLoad, 0), { once: true });
  }
}
