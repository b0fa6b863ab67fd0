"""The contact-center domain: channels, tiers, customers, agents, contacts, conversations and opening hours."""

from routekit.models.agent import Agent, AgentStatus
from routekit.models.channel import Channel
from routekit.models.contact import Contact, Conversation
from routekit.models.customer import Customer
from routekit.models.hours import OpeningHours
from routekit.models.tiers import Tier, Tiers

__all__ = ["Agent", "AgentStatus", "Channel", "Contact", "Conversation", "Customer", "OpeningHours", "Tier", "Tiers"]
