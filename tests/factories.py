"""Factories for test data. Clinical values are fixed, never random, so tests cannot flake."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from planner.access import roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery-staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role=roles.NURSE) puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


def make_user(role=None, **kwargs):
    return UserFactory(role=role, **kwargs)


NEUROLOGIST = roles.NEUROLOGIST
NURSE = roles.NURSE
REFERENCE_ADMIN = roles.REFERENCE_ADMIN
