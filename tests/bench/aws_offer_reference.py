#!/usr/bin/env python3
"""Reference for AwsOfferBench: json.load + the same selection as core/pricing/sources/aws/AwsOffer.

Prints the number of Linux on-demand GPU prices found. Usage: aws_offer_reference.py OFFER.json
"""
import json
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        offer = json.load(f)
    selected = {}
    for sku, product in offer["products"].items():
        a = product.get("attributes", {})
        if not product.get("productFamily", "").startswith("Compute Instance"):
            continue
        try:
            if float(a.get("gpu", "0")) < 1:
                continue
        except ValueError:
            continue
        if (a.get("operatingSystem"), a.get("tenancy"), a.get("capacitystatus"), a.get("preInstalledSw"),
                a.get("licenseModel")) != ("Linux", "Shared", "Used", "NA", "No License required"):
            continue
        if not a.get("regionCode"):  # no region to place the price in (AwsOffer leaves it out, warning)
            continue
        selected[sku] = a
    prices = 0
    for sku, terms in offer["terms"]["OnDemand"].items():
        if sku not in selected:
            continue
        for term in terms.values():
            for dim in term["priceDimensions"].values():
                if dim.get("unit") == "Hrs" and "USD" in dim["pricePerUnit"] and float(dim["pricePerUnit"]["USD"]) > 0:
                    prices += 1
                    break
            else:
                continue
            break
    print(prices)


if __name__ == "__main__":
    main()
