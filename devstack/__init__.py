"""The offline stack behind ``make serve``: the whole product on one machine, no AWS account.

``make serve`` runs :func:`devstack.stack.serve`: an embedded moto server stands in for S3,
DynamoDB and CloudFront (:mod:`devstack.provision` creates the bucket, counter table and
distribution under Terraform's default names), the site is built with ``pelicanconf.py`` and
published with the real publish code, and the local edge (:mod:`devstack.edge`) serves the bucket
as the distribution would, handing ``/api/*`` to the real counter handler as API Gateway events.
:mod:`devstack.browser` launches the Chromium that the browser tests and the widget benchmark drive.
"""
