// Citation cards. A citation links to its entry in the page's references; pointing at it or
// focusing it shows that entry in a card beside it (styled by citations.css). The card is made
// on first use from the entry, so a page carries each reference once, however often it is cited,
// and is moved left where it would run past the window's edge (a phone's narrow screen).
(() => {
  const MARGIN = 8;

  const cardOf = (link) => {
    const found = link.parentElement.querySelector(".citation-card");
    if (found) return found;
    const entry = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    const body = entry ? entry.querySelector(".reference-body") : null;
    if (!body) return null;
    const card = document.createElement("span");
    card.className = "citation-card";
    card.setAttribute("role", "tooltip");
    card.append(...Array.from(body.childNodes, (node) => node.cloneNode(true)));
    link.after(card);
    return card;
  };

  const show = (event) => {
    const link = event.target instanceof Element ? event.target.closest(".citation-link") : null;
    const card = link ? cardOf(link) : null;
    if (!card) return;
    card.style.left = "";
    const box = card.getBoundingClientRect(); // shown by now: the citation is hovered or focused
    const overflow = box.right - (document.documentElement.clientWidth - MARGIN);
    if (overflow > 0) card.style.left = `${-Math.min(overflow, box.left - MARGIN)}px`;
  };

  document.addEventListener("mouseover", show);
  document.addEventListener("focusin", show);
})();
