"""`kb` command line: ingest, ask, units, targets, check, serve, eval."""
from __future__ import annotations

import argparse
import csv
import errno
import json
import socket
import sys
from dataclasses import asdict

from kb.config import REPO_ROOT
from kb.schema import Answer, IndexDamaged, InputError


def _open_kb(args, create: bool = False):
    """create=False (commands that only read): a data dir that does not exist is an error, not a
    new empty knowledge base (a misspelled KB_DATA_DIR)."""
    from kb.api import KnowledgeBase
    return KnowledgeBase.open(args.data_dir, create=create)


def _print_json(obj, stream=None):
    stream = stream or sys.stdout   # looked up per call: redirect_stdout/capsys must see it
    stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
    stream.flush()


def _progress_bar(args):
    """(progress callback, bar) for the long writes: ingest, rebuild, repair."""
    from tqdm import tqdm
    bar = tqdm(total=0, unit="条", disable=args.quiet, file=sys.stderr)

    def progress(done: int, total: int, what: str):
        bar.total = total
        bar.n = done
        bar.set_description(what[:30])
        bar.refresh()
    return progress, bar


def _print_report(kb, report) -> int:
    """The ingest summary on stdout, one line per skipped file on stderr; 1 when any was skipped."""
    docs = len(kb.documents())
    print(f"文档 {docs} 篇（新增或更新 {len(report.added)}，未变 {len(report.unchanged)}，删除 {len(report.removed)}）；"
          f"条款 {len(kb.clauses())} 条，本次向量化 {report.clauses} 条；用时 {report.seconds:.2f} 秒")
    for name, reason in report.rejected.items():
        print(f"未导入 {name}：{reason}", file=sys.stderr)
    if report.rejected:
        print(f"有 {len(report.rejected)} 个文件或文件夹未导入（原因见上），其余已导入", file=sys.stderr)
    return 1 if report.rejected else 0


def cmd_ingest(args) -> int:
    kb = _open_kb(args, create=True)
    progress, bar = _progress_bar(args)
    report = kb.ingest(args.paths or [REPO_ROOT / "corpus"], progress)
    bar.close()
    return _print_report(kb, report)


def cmd_rebuild(args) -> int:
    kb = _open_kb(args, create=True)
    progress, bar = _progress_bar(args)
    report = kb.rebuild(progress)
    bar.close()
    return _print_report(kb, report)


def _print_answer(ans: Answer):
    print(ans.answer)
    if ans.responsible_units:
        print("责任单位：" + "、".join(ans.responsible_units))
    if ans.llm:
        print(f"（由大模型 {ans.llm['model']} 改写，已核对）" if ans.llm["used"] else f"（未用大模型：{ans.llm['reason']}）")
    for c in ans.citations:
        quote = c.quote if len(c.quote) <= 160 else c.quote[:160] + "…"
        print(f"\n[{c.n}] 《{c.doc_title}》{c.doc_number} {c.clause_id}\n    {c.section}\n    “{quote}”")


ECHO_CHARS = 50     # of a refused question, echoed back with its error


def _stdin_lines():
    """Questions from stdin as they arrive, each line decoded on its own (UTF-8, GBK, …): a line
    in another encoding, or not text at all, spoils only itself. Yields (text, None) or
    (None, error)."""
    from ingest.read import decode_line
    for raw in getattr(sys.stdin, "buffer", sys.stdin):
        if isinstance(raw, str):             # a text stream (tests): already decoded
            yield raw.rstrip("\r\n"), None
            continue
        try:
            yield decode_line(raw.rstrip(b"\r\n")), None
        except InputError as e:
            yield None, str(e)


def _echo(question: str) -> str:
    return question if len(question) <= ECHO_CHARS else question[:ECHO_CHARS] + "…"


def cmd_ask(args) -> int:
    kb = _open_kb(args)
    kb.snapshot()            # a damaged index is reported once, before any question
    if args.jsonl:
        # One object per input line, blank lines included: output line i answers input line i.
        for number, (question, error) in enumerate(_stdin_lines(), 1):
            if error:
                _print_json({"question": "", "error": f"第 {number} 行：{error}"})
                continue
            try:
                _print_json(kb.ask(question, llm=args.llm).to_dict())
            except IndexDamaged:
                raise
            except InputError as e:
                _print_json({"question": _echo(question), "error": str(e)})
        return 0
    question = " ".join(args.question)
    try:
        ans = kb.ask(question, llm=args.llm)
    except InputError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    if args.json:
        _print_json(ans.to_dict())
    else:
        _print_answer(ans)
    return 0


def _write_rows(rows: list[dict], fmt: str):
    if fmt == "json":
        _print_json(rows)
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["empty"])
        writer.writeheader()
        writer.writerows({k: "、".join(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows)
    else:
        for r in rows:
            print("\t".join("、".join(v) if isinstance(v, list) else str(v) for v in r.values()))


def cmd_units(args) -> int:
    kb = _open_kb(args)
    if args.unit:
        try:
            name, clauses = kb.unit_tasks(args.unit)
        except InputError as e:
            print(f"错误：{e}", file=sys.stderr)
            return 2
        rows = [{"unit": name, "doc_id": c.doc_id, "clause_id": c.clause_id, "title": c.title,
                 "section": c.section, "units": c.units} for c in clauses]
    else:
        rows = [{"doc_id": c.doc_id, "clause_id": c.clause_id, "title": c.title, "units": c.units}
                for c in kb._first_parts(c for c in kb.clauses() if c.units)]
    _write_rows(rows, args.format)
    return 0


def cmd_targets(args) -> int:
    kb = _open_kb(args)
    rows = [{"doc_id": c.doc_id, "clause_id": c.clause_id, **asdict(t)} for c, t in kb.targets()]
    _write_rows(rows, args.format)
    return 0


def cmd_check(args) -> int:
    kb = _open_kb(args)
    if args.repair:
        progress, bar = _progress_bar(args)
        done = kb.repair(progress)
        bar.close()
        for line in done:
            print(f"已修复：{line}")
    problems = kb.check()
    encoder = kb.index_encoder()
    if encoder:
        print(f"编码器：{encoder}")
    for p in problems:
        print(p)
    if not problems:
        print("一致：条款、向量与关键词索引相符，每个向量都能被检索到")
    return 1 if problems else 0


def cmd_feedback(args) -> int:
    """Users' 👍/👎 from the web app: listed, or exported as gold-candidate JSONL for eval/."""
    from kb.config import Settings
    from kb.feedback import DOWN, UP, FeedbackStore
    data_dir = Settings.from_env().data_dir if args.data_dir is None else args.data_dir
    store = FeedbackStore(data_dir)
    rating = {"up": UP, "down": DOWN}.get(args.rating)
    if args.export:
        out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
        try:
            for line in store.gold_candidates(rating):
                _print_json(line, out)
        finally:
            if args.out:
                out.close()
        return 0
    entries = store.entries(rating)
    for f in entries:
        print(f"{f.created}  {'👍' if f.rating == UP else '👎'}  {f.question}" + (f"\n    说明：{f.comment}" if f.comment else ""))
    print(f"共 {len(entries)} 条评价")
    return 0


def cmd_serve(args) -> int:
    from app.web import serve
    kb = _open_kb(args)
    kb.snapshot()
    kb.store.vector_count()       # a damaged index is reported now, not as a failure per question
    _check_port(kb.settings.host, kb.settings.port)
    serve(kb, kb.settings)
    return 0


def _check_port(host: str, port: int) -> None:
    """InputError when the web app could not listen on host:port (taken, not allowed, no such host)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as uvicorn does
            s.bind((host, port))
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise InputError(f"端口 {port} 已被占用（{host}:{port}）：请关闭占用它的程序，"
                             "或用环境变量 KB_PORT 换一个端口") from e
        raise InputError(f"无法在 {host}:{port} 上启动网页服务（{e.strerror or e}）：请检查 KB_HOST 和 KB_PORT") from e


def cmd_eval(args) -> int:
    from eval.run import main as eval_main
    return eval_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kb", description="楚雄州职业教育政策知识库")
    p.add_argument("--data-dir", default=None, help="索引目录（默认 $KB_DATA_DIR 或 data/）")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="导入文档（默认 corpus/）")
    s.add_argument("paths", nargs="*")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("ask", help="提问")
    s.add_argument("question", nargs="*")
    s.add_argument("--json", action="store_true", help="输出回答对象（JSON）")
    s.add_argument("--jsonl", action="store_true", help="从标准输入逐行读问题，逐行输出 JSON")
    s.add_argument("--llm", action="store_true", help="由已配置的大模型（KB_LLM_BASE_URL）改写回答，核对不通过则用摘录回答")
    s.set_defaults(func=cmd_ask)

    for name, func, helptext in (("units", cmd_units, "责任单位矩阵或某单位的任务"), ("targets", cmd_targets, "目标指标")):
        s = sub.add_parser(name, help=helptext)
        if name == "units":
            s.add_argument("--unit", help="单位名称（可用简称）")
        fmt = s.add_mutually_exclusive_group()
        fmt.add_argument("--json", dest="format", action="store_const", const="json")
        fmt.add_argument("--csv", dest="format", action="store_const", const="csv")
        s.set_defaults(func=func, format="text")

    s = sub.add_parser("check", help="检查条款、向量和关键词索引是否一致，每个向量能否被检索到")
    s.add_argument("--repair", action="store_true", help="修复发现的问题（重新生成向量，或从原文件重建）")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("rebuild", help="从原文件（上传的文件和导入过的路径）重建索引")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=cmd_rebuild)
    s = sub.add_parser("feedback", help="网页中的 👍/👎 评价：列出，或导出为评测候选题 JSONL")
    s.add_argument("--export", action="store_true", help="输出评测候选题 JSONL（格式同 eval/gold）")
    s.add_argument("--rating", choices=["up", "down"], help="只要 👍（up）或 👎（down）")
    s.add_argument("--out", help="写入文件（默认标准输出）")
    s.set_defaults(func=cmd_feedback)
    sub.add_parser("serve", help="启动网页应用").set_defaults(func=cmd_serve)
    s = sub.add_parser("eval", help="在标准问题集上评测（参数传给 python -m eval）")
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command == "eval":          # `kb eval --validate`: options belong to python -m eval
        args.rest = [a for a in args.rest if a != "--"] + unknown
    elif unknown:
        parser.error(f"未知参数：{' '.join(unknown)}")
    if args.command == "ask" and not args.jsonl and not args.question:
        build_parser().error("ask 需要一个问题，或使用 --jsonl 从标准输入读取")
    try:
        return args.func(args)
    except InputError as e:      # a setting, a path, a damaged index, a full disk: said, not traced
        print(f"错误：{e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
