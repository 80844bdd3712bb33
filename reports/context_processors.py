"""The bell in the header of every page: the signed-in user's unread notifications."""


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from reports.models import Notification

    # Lazy: a page that does not draw the header (a file download, JSON) never runs the count.
    def unread():
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notifications": unread}
