"""The roles of R3, with the names users see. The one list every check refers to."""

SPECIALIST = "specialist"
SUPERVISOR = "supervisor"
REVIEWER = "reviewer"
PHONE_AGENT = "phone_agent"
DESIGNER = "designer"
COMPLIANCE_OFFICER = "compliance_officer"
ADMIN = "admin"

ROLES: dict[str, tuple[str, str]] = {
    SPECIALIST: ("客户服务专员", "Customer service specialist"),
    SUPERVISOR: ("主管", "Supervisor"),
    REVIEWER: ("审核员", "Reviewer"),
    PHONE_AGENT: ("电话回访坐席", "Phone callback agent"),
    DESIGNER: ("问卷设计员", "Questionnaire designer"),
    COMPLIANCE_OFFICER: ("合规专员", "Compliance officer"),
    ADMIN: ("系统管理员", "Administrator"),
}
