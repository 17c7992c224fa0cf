"""Human help that reaches a human: handoff tickets (留言, 呼叫导服), the staff's answers, their hours.

`HandoffDesk` (desk.py) is the only API: the dialogue opens tickets, the staff console answers and closes
them, the chat doors read the answers, the privacy tools export, delete and purge them.
"""
