"""The explicit list of actions, constructed with their dependencies; a duplicate name is an error."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from actions.common import ActionDeps, Understand
from actions.faq import AnswerFaq, QueryOfficeHours
from actions.handoff import HumanHandoff, ValidateHandoffForm
from actions.lost_notice import AskLicenseType, SubmitLostNotice, ValidateLostNoticeForm
from actions.medical_validation import AskValidationItems, SubmitMedicalValidation, ValidateMedicalValidationForm
from actions.offload import Offload, OffloadedExecutor
from actions.resubmission import PrefillResubmission
from actions.status import CheckStatus, SearchNotice, ValidateNoticeSearchForm, ValidateStatusForm
from actions.validation_due import ValidateValidationDueForm, ValidationDue
from knowledge.clock import Clock, system_clock
from knowledge.loader import KnowledgeBase

if TYPE_CHECKING:
    from actions.filings import FilingStore
    from actions.filings.institutions import InstitutionRegistry
    from actions.reminders.service import ReminderService


class DuplicateAction(ValueError):
    """Two actions share a name."""


class ActionRegistry:
    """Named actions; `executor()` is the rasa-sdk ActionExecutor that runs them."""

    def __init__(self, actions: Iterable[Action] = ()):
        self._actions: dict[str, Action] = {}
        for action in actions:
            self.add(action)

    def add(self, action: Action) -> None:
        """Register one action; raises DuplicateAction when its name is taken."""
        name = action.name()
        if name in self._actions:
            raise DuplicateAction(f"action {name!r} is registered twice")
        self._actions[name] = action

    def names(self) -> list[str]:
        """Every registered name, in registration order."""
        return list(self._actions)

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def executor(self, offload: Offload | None = None) -> ActionExecutor:
        """A fresh ActionExecutor with every action registered; with `offload`, the actions run on its threads,
        off the event loop (actions/offload.py: what a server wants)."""
        ex = OffloadedExecutor(offload) if offload is not None else ActionExecutor()
        for action in self._actions.values():
            ex.register_action(action)
        return ex


def build_registry(knowledge: Callable[[], KnowledgeBase], filings: FilingStore | None,
                   clock: Clock = system_clock, *, institutions: InstitutionRegistry | None = None,
                   reminders: ReminderService | None = None, understand: Understand | None = None) -> ActionRegistry:
    """Every action of 灵灵, reading the knowledge base in force through `knowledge()`; `understand` is the
    engine action_answer_faq asks when a parse comes without `retrieval` (Rasa's own NLU)."""
    deps = ActionDeps(knowledge=knowledge, filings=filings, clock=clock, institutions=institutions, reminders=reminders,
                      understand=understand)
    return ActionRegistry([
        ValidateLostNoticeForm(deps), AskLicenseType(deps), SubmitLostNotice(deps),
        ValidateMedicalValidationForm(deps), AskValidationItems(deps), SubmitMedicalValidation(deps),
        ValidateValidationDueForm(deps), ValidationDue(deps),
        ValidateStatusForm(deps), CheckStatus(deps), ValidateNoticeSearchForm(deps), SearchNotice(deps),
        AnswerFaq(deps), QueryOfficeHours(deps), HumanHandoff(deps), ValidateHandoffForm(deps),
        PrefillResubmission(deps),
    ])
