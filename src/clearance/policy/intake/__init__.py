"""The adaptive intake: the packs' questions, asked only while they can change the decision."""

from clearance.policy.intake.questions import Answer, Question, load_questions
from clearance.policy.intake.session import IntakeError, IntakeSession, Provisional

__all__ = ["Answer", "IntakeError", "IntakeSession", "Provisional", "Question", "load_questions"]
