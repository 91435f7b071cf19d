from django.db import migrations, models


class Migration(migrations.Migration):
    """Validation constraints, kept apart from the tables on purpose.

    Operators check and fix existing data (validate_data_integrity --fix) before this
    migration runs; migrating back to 0002_character_chronicle_owner removes these constraints and keeps
    every table and row.
    """

    dependencies = [
        ("characters", "0002_character_chronicle_owner"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("strength__gte", 1), ("strength__lte", 10)),
                name="characters_human_strength_range",
                violation_error_message="Strength must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("dexterity__gte", 1), ("dexterity__lte", 10)),
                name="characters_human_dexterity_range",
                violation_error_message="Dexterity must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("stamina__gte", 1), ("stamina__lte", 10)),
                name="characters_human_stamina_range",
                violation_error_message="Stamina must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("charisma__gte", 1), ("charisma__lte", 10)),
                name="characters_human_charisma_range",
                violation_error_message="Charisma must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("manipulation__gte", 1), ("manipulation__lte", 10)),
                name="characters_human_manipulation_range",
                violation_error_message="Manipulation must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("appearance__gte", 1), ("appearance__lte", 10)),
                name="characters_human_appearance_range",
                violation_error_message="Appearance must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("perception__gte", 1), ("perception__lte", 10)),
                name="characters_human_perception_range",
                violation_error_message="Perception must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("intelligence__gte", 1), ("intelligence__lte", 10)),
                name="characters_human_intelligence_range",
                violation_error_message="Intelligence must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("wits__gte", 1), ("wits__lte", 10)),
                name="characters_human_wits_range",
                violation_error_message="Wits must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("alertness__gte", 0), ("alertness__lte", 10)),
                name="characters_human_alertness_range",
                violation_error_message="Alertness must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("athletics__gte", 0), ("athletics__lte", 10)),
                name="characters_human_athletics_range",
                violation_error_message="Athletics must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("brawl__gte", 0), ("brawl__lte", 10)),
                name="characters_human_brawl_range",
                violation_error_message="Brawl must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("empathy__gte", 0), ("empathy__lte", 10)),
                name="characters_human_empathy_range",
                violation_error_message="Empathy must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("expression__gte", 0), ("expression__lte", 10)),
                name="characters_human_expression_range",
                violation_error_message="Expression must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("intimidation__gte", 0), ("intimidation__lte", 10)),
                name="characters_human_intimidation_range",
                violation_error_message="Intimidation must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("streetwise__gte", 0), ("streetwise__lte", 10)),
                name="characters_human_streetwise_range",
                violation_error_message="Streetwise must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("subterfuge__gte", 0), ("subterfuge__lte", 10)),
                name="characters_human_subterfuge_range",
                violation_error_message="Subterfuge must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("crafts__gte", 0), ("crafts__lte", 10)),
                name="characters_human_crafts_range",
                violation_error_message="Crafts must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("drive__gte", 0), ("drive__lte", 10)),
                name="characters_human_drive_range",
                violation_error_message="Drive must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("etiquette__gte", 0), ("etiquette__lte", 10)),
                name="characters_human_etiquette_range",
                violation_error_message="Etiquette must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("firearms__gte", 0), ("firearms__lte", 10)),
                name="characters_human_firearms_range",
                violation_error_message="Firearms must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("melee__gte", 0), ("melee__lte", 10)),
                name="characters_human_melee_range",
                violation_error_message="Melee must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("stealth__gte", 0), ("stealth__lte", 10)),
                name="characters_human_stealth_range",
                violation_error_message="Stealth must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("academics__gte", 0), ("academics__lte", 10)),
                name="characters_human_academics_range",
                violation_error_message="Academics must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("computer__gte", 0), ("computer__lte", 10)),
                name="characters_human_computer_range",
                violation_error_message="Computer must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("investigation__gte", 0), ("investigation__lte", 10)),
                name="characters_human_investigation_range",
                violation_error_message="Investigation must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("medicine__gte", 0), ("medicine__lte", 10)),
                name="characters_human_medicine_range",
                violation_error_message="Medicine must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("science__gte", 0), ("science__lte", 10)),
                name="characters_human_science_range",
                violation_error_message="Science must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("willpower__gte", 1), ("willpower__lte", 10)),
                name="characters_human_willpower_range",
                violation_error_message="Willpower must be between 1 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("temporary_willpower__gte", 0), ("temporary_willpower__lte", 10)
                ),
                name="characters_human_temporary_willpower_range",
                violation_error_message="Temporary willpower must be between 0 and 10.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(("temporary_willpower__lte", models.F("willpower"))),
                name="characters_human_temporary_willpower_lte_willpower",
                violation_error_message="Temporary willpower cannot exceed permanent willpower.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("age__gte", 0), ("age__lte", 500)),
                    ("age__isnull", True),
                    _connector="OR",
                ),
                name="characters_human_age_range",
                violation_error_message="Age must be between 0 and 500.",
            ),
        ),
        migrations.AddConstraint(
            model_name="human",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("apparent_age__gte", 0), ("apparent_age__lte", 200)),
                    ("apparent_age__isnull", True),
                    _connector="OR",
                ),
                name="characters_human_apparent_age_range",
                violation_error_message="Apparent age must be between 0 and 200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="character",
            constraint=models.CheckConstraint(
                condition=models.Q(("xp__gte", 0)),
                name="characters_character_xp_nonnegative",
                violation_error_message="XP cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="character",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["Un", "Sub", "App", "Ret", "Dec"])),
                name="characters_character_status_valid",
                violation_error_message="Status must be one of Un, Sub, App, Ret, Dec.",
            ),
        ),
    ]
