from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ("kpi", "0005_explicit_results_one_card_per_plan"),
    ]

    operations = [
        migrations.AlterField(
            model_name="scorecard",
            name="plan",
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="scorecards", to="plans.plan", verbose_name="Kế hoạch"),
        ),
        migrations.AddConstraint(
            model_name='scorecard',
            constraint=models.UniqueConstraint(fields=('unit', 'plan', 'month'), name='scorecard_one_per_unit_plan_month'),
        ),
        migrations.AddConstraint(
            model_name='scoreentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('result', 'not_applicable'), _negated=True), models.Q(('na_reason', ''), _negated=True), _connector='OR'), name='scoreentry_not_applicable_has_reason'),
        ),
    ]
