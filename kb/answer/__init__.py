"""Question -> Answer with verbatim, numbered citations.

Read in this order:
  question.py   a question is checked and parsed once (Question)
  router.py     the ordered handlers a question is offered to (Answerer, HANDLERS)
  handlers/     each answering mechanism, one module each (document facts, who, a unit's tasks…,
                free text for everything else)
  policy.py     when the knowledge base refuses, and the thresholds it uses
  context.py    what one answer works with (its snapshot, citations, shared look-ups)
  text.py       sentence helpers over clause text
"""
from kb.answer.question import check_question
from kb.answer.router import Answerer

__all__ = ["Answerer", "check_question"]
