"""The clash models, taken over from the events app: state only. The tables already exist
(events migrations 0002 to 0006 made them) and keep their names, indexes and constraints."""

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('events', '0007_clashes_move_to_their_app'),
        ('groups', '0002_group_created_by_blank'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Clash',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('dismissed', 'Dismissed (not a problem)'), ('resolved', 'Resolved'), ('merged', 'Merged into a joint event')], default='open', max_length=12)),
                        ('distance_km', models.FloatField(blank=True, null=True)),
                        ('same_constituency', models.BooleanField(default=False)),
                        ('detected_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('event_a', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='events.event')),
                        ('event_b', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='events.event')),
                    ],
                    options={
                        'verbose_name_plural': 'clashes',
                        'db_table': 'events_clash',
                        'ordering': ['-detected_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ClashNotification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending (claimed)'), ('sent', 'Sent'), ('failed', 'Failed'), ('skipped', 'Skipped (notifications off)')], default='pending', max_length=8)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('claim_token', models.UUIDField(blank=True, null=True)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('via_digest', models.BooleanField(default=False)),
                        ('last_error', models.TextField(blank=True)),
                        ('clash', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='clashes.clash')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='clash_notifications', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'events_clashnotification',
                        'ordering': ['pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ClashRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120)),
                        ('side_a_kinds', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('party_branch', 'Party branch'), ('pro_eu', 'Pro-EU group'), ('progressive_alliance', 'Progressive Alliance group'), ('other', 'Other campaign')], max_length=24), help_text='Group kinds on one side.', size=None)),
                        ('side_b_kinds', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('party_branch', 'Party branch'), ('pro_eu', 'Pro-EU group'), ('progressive_alliance', 'Progressive Alliance group'), ('other', 'Other campaign')], max_length=24), help_text='Group kinds on the other side.', size=None)),
                        ('is_active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('party', models.ForeignKey(blank=True, help_text="Blank: any party. Set: only this party's groups are on the first side.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='groups.party')),
                    ],
                    options={
                        'db_table': 'events_clashrule',
                        'ordering': ['pk'],
                    },
                ),
                migrations.CreateModel(
                    name='NotificationPreference',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('clash_emails', models.CharField(choices=[('immediate', 'Email me about each clash straight away'), ('digest', "One email a day with the day's clashes"), ('off', 'No clash emails')], default='immediate', max_length=10, verbose_name='Clash emails')),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='clash_preference', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'events_notificationpreference',
                    },
                ),
                migrations.AddIndex(
                    model_name='clash',
                    index=models.Index(fields=['event_b'], name='clash_event_b'),
                ),
                migrations.AddIndex(
                    model_name='clash',
                    index=models.Index(fields=['status'], name='clash_status'),
                ),
                migrations.AddConstraint(
                    model_name='clash',
                    constraint=models.UniqueConstraint(fields=('event_a', 'event_b'), name='clash_unique_pair'),
                ),
                migrations.AddConstraint(
                    model_name='clash',
                    constraint=models.CheckConstraint(condition=models.Q(('event_a__lt', models.F('event_b'))), name='clash_pair_ordered'),
                ),
                migrations.AddIndex(
                    model_name='clashnotification',
                    index=models.Index(condition=models.Q(('status__in', ['pending', 'sending'])), fields=['status', 'next_attempt_at'], name='clashnotif_due'),
                ),
                migrations.AddConstraint(
                    model_name='clashnotification',
                    constraint=models.UniqueConstraint(fields=('clash', 'recipient'), name='clashnotification_unique_recipient'),
                ),
            ],
            database_operations=[],
        ),
    ]
