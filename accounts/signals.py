from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from live import push


@receiver(user_logged_out)
def close_websockets_on_logout(sender, request, user, **kwargs):
    if user is not None:
        push.publish_user_logged_out(user_id=user.pk)
