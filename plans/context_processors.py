from plans.access import Role, role_of


def navigation(request):
    """The signed-in user's role, so the menu offers only the pages that role can use."""
    role = role_of(getattr(request, "user", None))
    return {"nav_reviews": role in (Role.REVIEWER, Role.LEADER, Role.ADMIN), "nav_role": role}
