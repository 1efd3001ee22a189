// Runs in <head>, before Gradio starts.
(() => {
  // Gradio's own words follow the browser's language; this app is Chinese whatever the browser
  // says. Gradio's i18n module is already loaded when this script runs: switch its locale.
  const core = performance.getEntriesByType("resource").map((r) => r.name).find((u) => /\/core-[^/]+\.js$/.test(u));
  if (core) {
    import(core).then((m) => {
      if (typeof m.changeLocale !== "function") return;
      m.changeLocale("zh-CN");
      setTimeout(() => m.changeLocale("zh-CN"), 1000);   // after a late re-initialisation too
    }).catch(() => { /* Gradio's own locale stays */ });
  }

  // The few English strings Gradio writes without a translation (its translated ones come
  // from gradio_zh.json, see app/web.py page_assets): text, and labels for screen readers.
  const ENGLISH = [
    [/^\s*processing \|\s*$/, "处理中 |"],
    [/^\s*queue: (\d+)\/(\d*) \|\s*$/, "排队：$1/$2 |"],
    [/^Invalid file types?: (.*)\. Only (.*) allowed\.$/, "不支持的文件类型：$1。只能上传 $2 文件。"],
    [/^Connection errored out\.?$/, "连接出错，请刷新页面后重试。"],
    [/^Could not connect to the server\.?$/, "无法连接服务器，请稍后刷新页面。"],
    [/^Error$/, "错误"], [/^Warning$/, "提示"], [/^Info$/, "提示"], [/^Loading\.*$/, "加载中"],
    [/^Click to upload or drop files$/, "点击上传或拖放文件"],
    [/^Copy table data$/, "复制表格数据"], [/^Table actions$/, "表格操作"], [/^Dataframe$/, "数据表"],
    [/^Fullscreen$/, "全屏"], [/^Exit fullscreen( mode)?$/, "退出全屏"],
    [/^Select example (\d+): /, "选择示例 $1："],
    // a message's label is its raw content: read the text, not the markup or the hidden copy text
    [/^(bot|user)'s message: ([\s\S]*)$/, (_, who, body) => (who === "bot" ? "回答：" : "问题：")
      + body.replace(/<pre[\s\S]*$/, "").replace(/<[^>]+>/g, "").slice(0, 300)],
    [/^chatbot conversation$/, "对话"],
    [/^Textbox$/, "文本框"], [/^Radio$/, "单选"], [/^Dropdown$/, "下拉菜单"], [/^More tabs$/, "更多标签页"],
    [/^Clear$/, "清除"], [/^Copy$/, "复制"], [/^Copied!?$/, "已复制"], [/^Close$/, "关闭"], [/^Download$/, "下载"],
  ];
  const LABELS = ["title", "aria-label", "placeholder"];
  const english = (text) => {
    if (!text || !/[A-Za-z]/.test(text)) return null;
    const core = text.trim();
    for (const [re, zh] of ENGLISH) if (re.test(core)) return core.replace(re, zh);
    return null;
  };
  const translateText = (node) => { const zh = english(node.nodeValue); if (zh !== null) node.nodeValue = zh; };
  const translateLabels = (el) => {
    for (const name of LABELS) {
      const zh = english(el.getAttribute(name));
      if (zh !== null) el.setAttribute(name, zh);
    }
  };
  const walk = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return translateText(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    translateLabels(root);
    root.querySelectorAll("[title],[aria-label],[placeholder]").forEach(translateLabels);
    const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = it.nextNode(); n; n = it.nextNode()) translateText(n);
  };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "characterData") translateText(c.target);
      else if (c.type === "attributes") translateLabels(c.target);
      else c.addedNodes.forEach(walk);
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true,
                                          attributes: true, attributeFilter: LABELS });
  walk(document.body);

  // -- the chat's own links: [n], copy, suggestions, 👍/👎 -------------------------------
  // Components may mount again (a tab shown again): a page-wide listener is added once.
  const bound = new Set();
  window.kbOnce = (name, add) => { if (!bound.has(name)) { bound.add(name); add(); } };
  // The index of the bot message holding `el` (records and bot messages are aligned).
  window.kbAnswerIndex = (el) => {
    const bots = [...document.querySelectorAll('#kb-chat [data-testid="bot"]')];
    return bots.findIndex((b) => b.contains(el));
  };
  // A link in an answer that the server handles: `payload(link)` is sent with the answer's index
  // through the Gradio component's newest `trigger`.
  const triggers = {};
  window.kbChatLink = (name, selector, trigger, payload) => {
    triggers[name] = trigger;
    window.kbOnce(name, () => document.addEventListener("click", (e) => {
      const link = e.target.closest(`#kb-chat ${selector}`);
      if (!link) return;
      e.preventDefault();
      e.stopPropagation();
      triggers[name]("click", { answer: window.kbAnswerIndex(link), ...payload(link) });
    }, true));
  };
  // On a phone the evidence panel is below the chat: bring it into view.
  window.kbReveal = (id) => {
    if (!window.matchMedia("(max-width: 700px)").matches) return;
    const el = document.getElementById(id);
    if (el) setTimeout(() => el.scrollIntoView({ behavior: "smooth", block: "start" }), 250);
  };

  const copy = (text) => {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(() => true, () => copyByCommand(text));
    }
    return Promise.resolve(copyByCommand(text));
  };
  const copyByCommand = (text) => {   // plain http on a LAN address has no clipboard API
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.cssText = "position:fixed;top:0;left:0;opacity:0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  };

  document.addEventListener("click", (e) => {
    const link = e.target.closest("#kb-chat a.kb-copy, #kb-chat a.kb-suggest");
    if (!link) return;
    e.preventDefault();
    e.stopPropagation();
    if (link.classList.contains("kb-copy")) {
      const bot = link.closest('[data-testid="bot"]');
      const text = bot ? (bot.querySelector(".kb-copytext") || {}).textContent || "" : "";
      copy(text).then((ok) => {
        link.textContent = ok ? "已复制" : "复制失败，请手动选择文字";
        setTimeout(() => { link.textContent = "复制"; }, 2000);
      });
      return;
    }
    const box = document.querySelector("#kb-question textarea");   // a suggestion: ask it
    if (!box) return;
    box.value = link.getAttribute("title") || link.textContent;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => document.getElementById("kb-ask")?.click(), 50);
  }, true);
})();
