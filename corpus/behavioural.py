"""Behavioural interview prompts: questions that ask for the candidate's own experience or motives.

"Tell me about a time you disagreed with a teammate", "Describe a project that failed", "Why do you want to work
here?": a source answers them with a sample story, which a candidate's own good story never repeats. The corpus stage
keeps such answers' talk about the interview (it is their subject), and the grader and the hints say so
(``coach.grading.grader.BEHAVIOURAL_NOTE``, ``coach.questions.STAR_HINTS``).

Simplified on purpose: English phrasings of common prompts, each tied to the candidate ("you", "your", "a time ...");
a technical question that opens the same way ("How do you handle conflicts in Git?", "Describe a situation where a
deadlock can occur", "Tell me about a time-series database") is not one. Prompts in other words are missed, and
then everything works as for a technical question.
"""

from __future__ import annotations

import re

_POLITE = r"(?:(?:can|could|would) you (?:please )?|please )?"
_PERSON = r"(?:teammate|team ?mate|coworker|co-worker|colleague|manager|boss|lead|peer|stakeholder|customer|client|person|people)"
_YOU = r"(?:you|your)\b(?! (?:would|should|can|could|might|use|need|want|choose|pick|implement|design)\b)(?!['\u2019]d)"
# what the candidate did (a past tense; "used" is how a tool is asked about), and their own work
_PAST = (r"(?!used\b)(?![a-z]*eed\b)[a-z]+ed|did|made|led|built|ran|took|wrote|gave|found|brought|taught|won|got|had|were|was|felt|"
         r"saw|went|chose|dealt|set up|came up with|stood up|spoke|told|thought|knew|met|began|became|kept|left|lost|sent|"
         r"spent|sold|held")
_WORK = r"(?:work|job|role|team|career|company|workplace|organi[sz]ation|department|business|practice|manager|colleagues?)\b"
_STORY = r"(?:project|mistake|failure|conflict|challenge|decision|disagreement|bug|problem|goal|accomplishment|achievement)"
# what a personal "how do you handle X" is followed by: the end, or the candidate's setting ("at work", "with your manager")
_SETTING = r"(?=\s*(?:[?.!]|$|at work\b|in (?:a|your|the) (?:job|team|role|workplace)\b|with (?:a|an|your|the) " + _PERSON + \
    r"|from (?:a|an|your|the) " + _PERSON + r"|when you\b))"
_PROMPT = re.compile(
    r"^\W*(?:(?:q(?:uestion)?\s*)?\d{1,3}\s*[.):]\s*)?" + _POLITE + r"(?:"
    r"(?:tell (?:me|us)|talk) about (?:a time (?:when |where |that |in which )?" + _YOU + r"|yourself\b"
    r"|an? (?:occasion|situation|moment) (?:when|where|in which) " + _YOU + r"|your (?:greatest|biggest|proudest|hardest)\b"
    r"|an? " + _STORY + r" (?:with (?:a|an|your) " + _PERSON + r"|(?:that |where |when |in which )?" + _YOU +
    r"|(?:of yours |you worked on |you were (?:on|part of) )?that (?:(?:failed|went wrong)(?=\s*(?:[?.!,;]|$|and\b))"
    r"|(?:did not|didn't) go (?:well|as planned|to plan)))"
    r"|the (?:most difficult|hardest|toughest|biggest) " + _STORY + r" (?:that )?you)"
    r"|describe (?:a|an|the) (?:time|occasion|moment|situation) (?:when |where |in which |that )?" + _YOU +
    r"|describe (?:a|an|your) " + _STORY + r" (?:that (?:failed|went wrong)\b|(?:that |where |when |in which )?" + _YOU + r")"
    r"|describe your (?:greatest|biggest|proudest) "
    # the occasion named first, the candidate later, in what they did or in their own work: "Describe a time when
    # accuracy was critical in your work" ("Describe a time when a race condition can corrupt your data" is no prompt)
    r"|describe a time (?:when|where) [^?.!]{0,80}?\b(?:you (?:" + _PAST + r")\b|your (?:own )?" + _WORK + r")"
    r"|(?:give|share) (?:me |us )?an example of (?:something|a project|a situation|an occasion|a task|an initiative) "
    r"(?:that )?you (?:" + _PAST + r")\b"
    # a preference about work: "What kind of working environment helps you do your best work?" (not "What kind of
    # environment variables do you set?", "What kind of team would you use to run on-call?")
    r"|what (?:kind|type|sort) of (?:(?:work|working|company|team) )?(?:environment|team|manager|boss|management style"
    r"|culture|company|workplace|role|leader|colleagues?)s? (?:do you (?:prefer|like|enjoy|thrive|work best|want|look for"
    r"|value|need to (?:do|be at) your best)|would you (?:like|prefer|enjoy|want|thrive)|are you (?:looking for|hoping)"
    r"|(?:helps?|brings? out|makes?|suits?|motivates?|gets? the best (?:out )?of) (?:you|the best in you))\b"
    r"|(?:give|share) (?:me |us )?an example of (?:a time (?:when |where |that )?" + _YOU + r"|when " + _YOU + r"|how " + _YOU +
    r"|an? " + _STORY + r" (?:that )?" + _YOU + r")"
    r"|walk (?:me|us) through your (?:resume|cv|career|background)\b"
    r"|how do you (?:handle|deal with|cope with|respond to|react to|manage) (?:(?:a |an )?(?:conflicts?|disagreements?|stress"
    r"|pressure|criticism|(?:negative )?feedback|(?:tight|competing) deadlines|(?:a )?missed deadlines?|mistakes|setbacks"
    r"|failure)" + _SETTING + r"|(?:working with )?(?:a )?difficult " + _PERSON + r")"
    r"|how do you prioriti[sz]e (?:competing|your|multiple|conflicting) (?:deadlines|tasks|work|projects|priorities)\b"
    r"|have you ever (?:disagreed|failed|made a mistake|had (?:a )?(?:conflict|disagreement)|missed a deadline)"
    r"|why (?:do you want (?:to (?:work|join)|this (?:job|role|position))|are you (?:leaving|interested in (?:this|the|our) "
    r"(?:role|position|job|company|team))|should we hire you)"
    r"|what(?:'s|’s| is| are| was) your (?:greatest|biggest) (?:strength|weakness|achievement|accomplishment|failure|mistake)"
    r"|what(?:'s|’s| is| was) your proudest\b|where do you see yourself (?:in|at|five|ten|\d)|what motivates you\b"
    r"|how would your (?:colleagues|coworkers|co-workers|manager|friends|team) describe you"
    r"|what would your (?:(?:previous|last|current|former|old) )?(?:colleagues|coworkers|co-workers|manager|boss|friends"
    r"|team|teammates|references?) say (?:about you|is your|are your|you are|you're)\b)",
    re.I)


def behavioural(question: str) -> bool:
    """Whether a question asks for the candidate's own experience or motives (a behavioural interview prompt)."""
    return bool(_PROMPT.search(question.strip()))


def about_interviewing(questions: list[str]) -> bool:
    """Whether a document is about interviewing itself: at least two of its questions, and half of them, are
    behavioural prompts (a general page with a behavioural section is not). Its answers talk about the interview as
    their subject ("say 'I' rather than 'we' so the interviewer can see your own contribution", a walkthrough's page)."""
    n = sum(behavioural(q) for q in questions)
    return n >= 2 and 2 * n >= len(questions)
