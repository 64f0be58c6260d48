#!/usr/bin/python3
"""The session-resume scenario with Eclipse Paho's Python client (MQTT 5), as reported against the broker.

A subscriber makes a session (Clean Start 1, Session Expiry Interval 99999), subscribes to TopicA/# at QoS 2
and disconnects normally; a publisher sends QoS 0, 1 and 2 messages (and a QoS 1 one with a Message Expiry
Interval); the subscriber comes back with Clean Start 0 and the Session Expiry Interval given on the command
line ("absent" leaves the property out), takes what arrives, and disconnects; then it connects once more
(Clean Start 0, expiry 100) to show whether the session outlived that connection.

Usage: paho-resume.py HOST PORT CLIENT_ID NEW_EXPIRY
Prints one JSON object per line: {"event": "connack", "connection": n, "sessionPresent": bool, "reasonCode": n}
and {"event": "message", "connection": n, "topic": t, "qos": n, "payload": text}.
"""
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

HOST, PORT, CLIENT_ID, NEW_EXPIRY = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
TIMEOUT = 5.0


def emit(**fields):
    print(json.dumps(fields), flush=True)


def connect_properties(expiry):
    if expiry is None:
        return None
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = expiry
    return properties


def session(connection, client_id, clean_start, expiry, expected_messages=0):
    """Connects, reports CONNACK and the messages that arrive (up to expected_messages), and returns the client."""
    client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5)
    connected = threading.Event()
    received = []
    all_received = threading.Event()

    def on_connect(_client, _userdata, flags, reason_code, _properties):
        emit(event="connack", connection=connection, sessionPresent=bool(flags["session present"]), reasonCode=reason_code.value)
        connected.set()

    def on_message(_client, _userdata, message):
        emit(event="message", connection=connection, topic=message.topic, qos=message.qos, payload=message.payload.decode())
        received.append(message)
        if len(received) >= expected_messages:
            all_received.set()

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(HOST, PORT, keepalive=60, clean_start=clean_start, properties=connect_properties(expiry))
    client.loop_start()
    if not connected.wait(TIMEOUT):
        raise SystemExit("no CONNACK")
    if expected_messages > 0:
        all_received.wait(TIMEOUT)
    else:
        time.sleep(0.3)  # anything that was still pending would show up meanwhile
    return client


def leave(client):
    client.disconnect()
    client.loop_stop()
    time.sleep(0.1)


def publish_all():
    publisher = mqtt.Client(client_id=CLIENT_ID + "-publisher", protocol=mqtt.MQTTv5)
    publisher.connect(HOST, PORT, clean_start=True)
    publisher.loop_start()
    expiring = Properties(PacketTypes.PUBLISH)
    expiring.MessageExpiryInterval = 3600
    for topic, payload, qos, properties in [
        ("TopicA/B", "qos0", 0, None),
        ("TopicA/B", "qos1", 1, None),
        ("TopicA/C", "qos2", 2, None),
        ("TopicA/D", "qos1-expiring", 1, expiring),
    ]:
        publisher.publish(topic, payload, qos=qos, properties=properties).wait_for_publish(TIMEOUT)
    leave(publisher)


subscriber = session(1, CLIENT_ID, True, 99999)
subscriber.subscribe("TopicA/#", qos=2)
time.sleep(0.2)
leave(subscriber)
publish_all()
leave(session(2, CLIENT_ID, False, None if NEW_EXPIRY == "absent" else int(NEW_EXPIRY), expected_messages=3))
leave(session(3, CLIENT_ID, False, 100))
