from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("updates", "0002_auto_update_from_installation")]
    operations = [migrations.RemoveField(model_name="installation", name="auto_update")]
