from allauth.account.adapter import DefaultAccountAdapter

from alliance.ratelimit import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return True

    def get_client_ip(self, request) -> str:
        # allauth's login/sign-up limits count the same address as every other limit.
        return client_ip(request) or super().get_client_ip(request)
