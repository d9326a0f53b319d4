from django.db import migrations


def copy_flag(apps, schema_editor):
    """The wizard's choice used to live on accounts.Installation; the policy is its one home now."""
    Installation = apps.get_model("accounts", "Installation")
    UpdatePolicy = apps.get_model("updates", "UpdatePolicy")
    installation = Installation.objects.first()
    if installation is not None:
        UpdatePolicy.objects.update_or_create(singleton=True, defaults={"auto_update": installation.auto_update})


def copy_back(apps, schema_editor):
    Installation = apps.get_model("accounts", "Installation")
    UpdatePolicy = apps.get_model("updates", "UpdatePolicy")
    policy = UpdatePolicy.objects.first()
    if policy is not None:
        Installation.objects.update(auto_update=policy.auto_update)


class Migration(migrations.Migration):
    dependencies = [("updates", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(copy_flag, copy_back)]
